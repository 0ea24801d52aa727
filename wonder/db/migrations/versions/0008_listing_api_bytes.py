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


# Any UPDATE that leaves a row's stored message, its seq and its version as they were (an
# operator's SQL fix, a tool that knows nothing of them) makes the message stale: the trigger
# drops it (api_seq or api_version NULL), so the API maps that row from its columns instead of
# showing what it was before. Our own writers always store a new message or restamp it. (On
# SQLite a later batch migration that recreates these tables must create the triggers again.)
_PG_FUNCTIONS = {
    "listings": "NEW.api_seq := NULL;",
    "listing_media": "NEW.api_version := NULL;",
}
_UNCHANGED = {
    "listings": (
        "NEW.api_seq IS NOT NULL AND NEW.api_basic IS NOT DISTINCT FROM OLD.api_basic "
        "AND NEW.api_seq IS NOT DISTINCT FROM OLD.api_seq "
        "AND NEW.api_version IS NOT DISTINCT FROM OLD.api_version"
    ),
    "listing_media": (
        "NEW.api_version IS NOT NULL AND NEW.api_message IS NOT DISTINCT FROM OLD.api_message "
        "AND NEW.api_version IS NOT DISTINCT FROM OLD.api_version"
    ),
}
_SQLITE = {
    "listings": ("api_seq", "listing_key"),
    "listing_media": ("api_version", "media_key"),
}


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, body in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {table}_stale_message() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {body} RETURN NEW; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_stale_message BEFORE UPDATE ON {table} FOR EACH ROW "
                f"WHEN ({_UNCHANGED[table]}) EXECUTE FUNCTION {table}_stale_message()"
            )
        return
    for table, (column, key) in _SQLITE.items():
        unchanged = _UNCHANGED[table].replace("IS NOT DISTINCT FROM", "IS")
        # Table and column names are this module's constants.
        op.execute(
            f"CREATE TRIGGER {table}_stale_message AFTER UPDATE ON {table} FOR EACH ROW "  # noqa: S608
            f"WHEN {unchanged} BEGIN "
            f"UPDATE {table} SET {column} = NULL WHERE {key} = NEW.{key}; END"
        )


def _drop_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _PG_FUNCTIONS:
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_stale_message" + (f" ON {table}" if postgres else "")
        )
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_stale_message()")


def upgrade() -> None:
    # Rows written before this revision keep NULL and are mapped from their columns at read
    # time until the ingest writes them again (or `wonder listings render` fills them).
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_basic", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("api_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("api_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("listing_media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_message", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("api_version", sa.Integer(), nullable=True))
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("listing_media", schema=None) as batch_op:
        batch_op.drop_column("api_version")
        batch_op.drop_column("api_message")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("api_version")
        batch_op.drop_column("api_seq")
        batch_op.drop_column("api_basic")
