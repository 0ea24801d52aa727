"""The parsed message: what the store and the classifier read (frozen, slotted dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal


class OwnDefect(StrEnum):
    """Defects the parser records itself (the stdlib's are kept under their class names)."""

    UNPARSEABLE_MESSAGE = "unparseable_message"  # the parser failed; what could be read is kept
    UNDECODABLE_HEADER = "undecodable_header"  # 8-bit bytes or a failing encoded word
    BAD_HEADER = "bad_header"  # the header parser raised; the raw value was used
    MISSING_DATE = "missing_date"
    BAD_DATE = "bad_date"
    DATE_WITHOUT_ZONE = "date_without_zone"  # "-0000" or no zone: read as UTC
    UNKNOWN_CHARSET = "unknown_charset"  # the label names no text codec
    CHARSET_MISMATCH = "charset_mismatch"  # the bytes are not in the declared charset
    UNDECODABLE_PART = "undecodable_part"  # the part's payload could not be read
    NUL_CHARACTER = "nul_character"  # NULs removed (the database refuses them)
    DEFECTS_TRUNCATED = "defects_truncated"  # more distinct defects than we keep


@dataclass(frozen=True, slots=True)
class Defect:
    """Something wrong with a message: ``kind`` is an :class:`OwnDefect` value or the name of a
    stdlib ``email.errors`` defect class; ``where`` is ``message``, ``header <name>`` or
    ``part <path>`` (``part 2.1`` is the first child of the second part)."""

    kind: str
    where: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox of an address header; ``address`` is as written (linking normalizes it)."""

    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part that is not body text: a file, an inline image, an attached message."""

    filename: str | None
    content_type: str
    size: int  # decoded bytes
    content_id: str | None
    disposition: Literal["inline", "attachment"]
    part: str  # the part's path, as in Defect.where


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """Everything the store and the classifier need from one RFC 822 message."""

    message_id: str | None  # without the angle brackets, as are the two below
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    thread_id: str | None  # Gmail's threadId when the caller had one
    from_: tuple[Address, ...]
    sender: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    date: datetime | None  # aware, UTC
    text: str  # the whole readable body (plain parts, or HTML made readable)
    new_text: str  # what this message adds: no quoted reply, no signature
    quoted_text: str
    signature: str
    html_present: bool
    attachments: tuple[Attachment, ...]
    defects: tuple[Defect, ...]
    size: int  # bytes of the raw message
    headers: tuple[tuple[str, str], ...]  # every header as (name, decoded value), in order

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc + self.bcc

    def defect_kinds(self) -> frozenset[str]:
        return frozenset(defect.kind for defect in self.defects)
