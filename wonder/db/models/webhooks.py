"""The durable webhook inbox: every verified event is stored here before the receiver answers.

A unique ``dedupe_key`` makes a duplicate delivery one row (Buildium: event name + entity ids +
event time; Gmail: the Pub/Sub message id), and (mailbox, history_id) is unique too, so the
same Gmail notification re-published under a new message id is still one row. A drain claims
pending rows, hands them to the source's handler and marks them done in the handler's
transaction; a row that keeps failing ends DEAD with its reason (a dead letter) until replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.enums import InboxStatus
from wonder.db.types import BigId, JsonDocument, UTCDateTime, str_enum


class WebhookInboxEvent(Base):
    __tablename__ = "webhook_inbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    # What the event is about, e.g. 'lease.7' or 'mailbox.ops@example.com': events of one
    # entity are processed together (coalesced).
    entity_key: Mapped[str] = mapped_column(String(400))
    mailbox: Mapped[str | None] = mapped_column(String(320))
    history_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[InboxStatus] = mapped_column(
        str_enum(InboxStatus, 16), default=InboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_webhook_inbox_dedupe_key"),
        UniqueConstraint("mailbox", "history_id", name="uq_webhook_inbox_mailbox_history"),
        Index("ix_webhook_inbox_status_id", "status", "id"),
    )
