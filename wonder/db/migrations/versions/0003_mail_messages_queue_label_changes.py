"""mail: messages (raw MIME kept compressed), the fetch queue, label changes; cursor names
long enough for a mailbox address

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wonder.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("ingest_cursors", schema=None) as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(length=64), type_=sa.String(length=320)
        )
    op.create_table(
        "mail_messages",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("gmail_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("history_id", sa.BigInteger(), nullable=False),
        sa.Column("internal_date", UTCDateTime(timezone=True), nullable=False),
        sa.Column("label_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("size_estimate", sa.Integer(), nullable=False),
        sa.Column("raw_zlib", sa.LargeBinary(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("has_attachments", sa.Boolean(), nullable=True),
        sa.Column("defects", JSON_DOCUMENT, nullable=True),
        sa.Column("parsed_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("mailbox", "gmail_id", name="uq_mail_messages_mailbox_gmail_id"),
    )
    op.create_index(
        "ix_mail_messages_mailbox_internal_date",
        "mail_messages",
        ["mailbox", "internal_date", "id"],
    )
    op.create_index("ix_mail_messages_thread", "mail_messages", ["mailbox", "thread_id"])
    op.create_table(
        "mail_fetch_queue",
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("gmail_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=True),
        sa.Column("enqueued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("mailbox", "gmail_id", name=op.f("pk_mail_fetch_queue")),
    )
    op.create_table(
        "mail_label_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("gmail_id", sa.String(length=32), nullable=False),
        sa.Column("history_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_label_changes")),
        sa.UniqueConstraint(
            "mailbox", "gmail_id", "history_id", "kind", name="uq_mail_label_changes_event"
        ),
    )


def downgrade() -> None:
    op.drop_table("mail_label_changes")
    op.drop_table("mail_fetch_queue")
    op.drop_index("ix_mail_messages_thread", table_name="mail_messages")
    op.drop_index("ix_mail_messages_mailbox_internal_date", table_name="mail_messages")
    op.drop_table("mail_messages")
    with op.batch_alter_table("ingest_cursors", schema=None) as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(length=320), type_=sa.String(length=64)
        )
