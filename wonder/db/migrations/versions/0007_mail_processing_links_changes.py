"""mail processing: parser version, links to contacts and listings, attachment metadata, the
message change feed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wonder.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parser_version", sa.Integer(), nullable=True))
    op.create_table(
        "mail_links",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("message_id", BIG_ID, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_links_message_id_mail_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_links")),
    )
    op.create_index("ix_mail_links_message", "mail_links", ["message_id"])
    op.create_index("ix_mail_links_target", "mail_links", ["kind", "target_key", "message_id"])
    op.create_table(
        "mail_attachments",
        sa.Column("message_id", BIG_ID, nullable=False),
        sa.Column("part", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_attachments_message_id_mail_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "part", name=op.f("pk_mail_attachments")),
    )
    op.create_table(
        "mail_message_changes",
        sa.Column("seq", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("gmail_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_mail_message_changes")),
    )


def downgrade() -> None:
    op.drop_table("mail_message_changes")
    op.drop_table("mail_attachments")
    op.drop_index("ix_mail_links_target", table_name="mail_links")
    op.drop_index("ix_mail_links_message", table_name="mail_links")
    op.drop_table("mail_links")
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_column("parser_version")
