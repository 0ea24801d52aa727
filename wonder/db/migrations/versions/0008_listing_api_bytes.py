"""listings and their media keep the API representation they were last written with

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows written before this revision keep NULL and are mapped from their columns at read
    # time until the ingest writes them again (or `wonder listings render` fills them).
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_basic", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("api_full", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("api_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("api_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("listing_media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_message", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("api_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("listing_media", schema=None) as batch_op:
        batch_op.drop_column("api_version")
        batch_op.drop_column("api_message")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("api_version")
        batch_op.drop_column("api_seq")
        batch_op.drop_column("api_full")
        batch_op.drop_column("api_basic")
