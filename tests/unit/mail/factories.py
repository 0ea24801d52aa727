"""Parsed messages built directly (threading and linking need no MIME)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from wonder.mail.message import Address, ParsedMessage
from wonder.mail.parse import parse_message

_BASE = parse_message(b"Subject: x\n\n")


def message(
    *,
    message_id: str | None = None,
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    thread_id: str | None = None,
    subject: str = "",
    day: int = 1,
    from_: tuple[Address, ...] = (),
    to: tuple[Address, ...] = (),
    cc: tuple[Address, ...] = (),
    text: str = "",
    signature: str = "",
) -> ParsedMessage:
    return replace(
        _BASE,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        thread_id=thread_id,
        subject=subject,
        date=datetime(2025, 1, day, tzinfo=UTC),
        from_=from_,
        to=to,
        cc=cc,
        text=text + signature,
        new_text=text,
        signature=signature,
        defects=(),
    )
