"""Mail from Gmail: every message of every mailbox, its raw MIME kept compressed, its labels
and their changes, and the queue of messages still to fetch.

A message is stored once per (mailbox, Gmail id); a re-fetch of a stored message changes
nothing. Ids the sync has seen but not fetched yet (a full sync's listing, a history page's
``messagesAdded``, a batch part that was rate-limited) wait in ``mail_fetch_queue``, written in
the same transaction as the cursor that saw them, so a crash neither loses nor repeats one.
Parsing fills the parsed columns later (``parsed_at`` is null until then).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.enums import LabelChangeKind
from wonder.db.types import BigId, JsonDocument, UTCDateTime, str_enum


class MailMessage(Base):
    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    gmail_id: Mapped[str] = mapped_column(String(32))
    thread_id: Mapped[str] = mapped_column(String(32))
    history_id: Mapped[int] = mapped_column(BigInteger)
    internal_date: Mapped[datetime] = mapped_column(UTCDateTime)
    label_ids: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    size_estimate: Mapped[int] = mapped_column(Integer)
    # zlib of the RFC 822 bytes exactly as Gmail's format=raw returned them.
    raw_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Deleted in Gmail (history messageDeleted): kept, marked.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Filled by parsing (null until parsed).
    subject: Mapped[str | None] = mapped_column(Text)
    from_address: Mapped[str | None] = mapped_column(String(320))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_attachments: Mapped[bool | None] = mapped_column(Boolean)
    defects: Mapped[list[str] | None] = mapped_column(JsonDocument)
    parsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which parser filled the parsed columns: an older one's rows are parsed again.
    parser_version: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("mailbox", "gmail_id", name="uq_mail_messages_mailbox_gmail_id"),
        Index("ix_mail_messages_mailbox_internal_date", "mailbox", "internal_date", "id"),
        Index("ix_mail_messages_thread", "mailbox", "thread_id"),
    )


class MailFetchQueue(Base):
    """A message the sync knows of and has not stored yet."""

    __tablename__ = "mail_fetch_queue"

    mailbox: Mapped[str] = mapped_column(String(255), primary_key=True)
    gmail_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_id: Mapped[str | None] = mapped_column(String(32))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class MailLabelChange(Base):
    """A label added to or removed from a message, as history reported it."""

    __tablename__ = "mail_label_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    gmail_id: Mapped[str] = mapped_column(String(32))
    history_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[LabelChangeKind] = mapped_column(str_enum(LabelChangeKind, 16))
    label_ids: Mapped[list[str]] = mapped_column(JsonDocument)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The same change reported twice (an overlapping history read) is stored once.
    __table_args__ = (
        UniqueConstraint(
            "mailbox", "gmail_id", "history_id", "kind", name="uq_mail_label_changes_event"
        ),
    )


class MailLink(Base):
    """A parsed message linked to a contact (by one of its mailboxes) or to a listing.

    ``role`` is the header the mailbox came from (from, to, cc, ...) for a contact and ``text``
    for a listing (found in the subject or body); ``target_kind`` is the contact's source
    (``trestle_member``, ``buildium_tenant``, ...) or ``listing``. Replaced whole when the
    message is parsed again.
    """

    __tablename__ = "mail_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("mail_messages.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # contact | listing
    target_kind: Mapped[str] = mapped_column(String(32))
    target_key: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_mail_links_message", "message_id"),
        Index("ix_mail_links_target", "kind", "target_key", "message_id"),
    )


class MailAttachment(Base):
    """An attachment's metadata (the bytes stay in the raw message): one per non-body part."""

    __tablename__ = "mail_attachments"

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("mail_messages.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content_id: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str] = mapped_column(String(16))


class MailMessageChange(Base):
    """Append-only change feed of stored messages (StreamMessageChanges' cursor is ``seq``),
    written in the transaction that changed the message: stored, labels, deleted, parsed."""

    __tablename__ = "mail_message_changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    gmail_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "MailAttachment",
    "MailFetchQueue",
    "MailLabelChange",
    "MailLink",
    "MailMessage",
    "MailMessageChange",
]
