"""listings schema, ingest state, api tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-28 01:21:17.011828
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wonder.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=512), nullable=False),
        sa.Column("created_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "held_deletes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column(
            "keys",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("stored_count", sa.Integer(), nullable=False),
        sa.Column("created_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_deletes")),
    )
    op.create_table(
        "ingest_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "modification_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_key", sa.String(length=64), nullable=True),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ingest_cursors")),
    )
    op.create_table(
        "ingest_quarantine",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_quarantine")),
        sa.UniqueConstraint("resource", "payload_hash", name="uq_ingest_quarantine_payload"),
    )
    with op.batch_alter_table("ingest_quarantine", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ingest_quarantine_resource_key", ["resource", "record_key"], unique=False
        )

    op.create_table(
        "listing_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("listing_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("changed_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_listing_changes")),
    )
    with op.batch_alter_table("listing_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_changes_listing_key"), ["listing_key"], unique=False
        )

    op.create_table(
        "listings",
        sa.Column("listing_key", sa.String(length=64), nullable=False),
        sa.Column("listing_id", sa.String(length=64), nullable=True),
        sa.Column("standard_status", sa.String(length=32), nullable=True),
        sa.Column("mls_status", sa.String(length=64), nullable=True),
        sa.Column("property_type", sa.String(length=64), nullable=True),
        sa.Column("property_sub_type", sa.String(length=64), nullable=True),
        sa.Column("list_price", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column(
            "original_list_price", wonder.db.types.Money(precision=14, scale=2), nullable=True
        ),
        sa.Column("close_price", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("bedrooms_total", sa.Integer(), nullable=True),
        sa.Column("bathrooms_total", sa.Integer(), nullable=True),
        sa.Column("living_area", sa.Float(), nullable=True),
        sa.Column("lot_size_acres", sa.Float(), nullable=True),
        sa.Column("year_built", sa.Integer(), nullable=True),
        sa.Column("unparsed_address", sa.String(length=255), nullable=True),
        sa.Column("street_number", sa.String(length=32), nullable=True),
        sa.Column("street_name", sa.String(length=128), nullable=True),
        sa.Column("unit_number", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("state_or_province", sa.String(length=32), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("public_remarks", sa.Text(), nullable=True),
        sa.Column("list_agent_key", sa.String(length=64), nullable=True),
        sa.Column("list_office_key", sa.String(length=64), nullable=True),
        sa.Column("listing_contract_date", sa.Date(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("photos_count", sa.Integer(), nullable=True),
        sa.Column(
            "photos_change_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "media_synced_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "modification_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("listing_key", name=op.f("pk_listings")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index("ix_listings_city", ["city"], unique=False)
        batch_op.create_index("ix_listings_list_price", ["list_price", "listing_key"], unique=False)
        batch_op.create_index(
            "ix_listings_modification", ["modification_timestamp", "listing_key"], unique=False
        )
        batch_op.create_index("ix_listings_postal_code", ["postal_code"], unique=False)
        batch_op.create_index(
            "ix_listings_status_price", ["standard_status", "list_price"], unique=False
        )
        batch_op.create_index("ix_listings_updated_at", ["updated_at", "listing_key"], unique=False)

    op.create_table(
        "members",
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("member_mls_id", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=128), nullable=True),
        sa.Column("last_name", sa.String(length=128), nullable=True),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("office_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column(
            "modification_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_key", name=op.f("pk_members")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_email"), ["email"], unique=False)

    op.create_table(
        "offices",
        sa.Column("office_key", sa.String(length=64), nullable=False),
        sa.Column("office_mls_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("state_or_province", sa.String(length=32), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column(
            "modification_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("office_key", name=op.f("pk_offices")),
    )
    op.create_table(
        "listing_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("listing_key", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=64), nullable=True),
        sa.Column("new_value", sa.String(length=64), nullable=True),
        sa.Column("changed_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_key"],
            ["listings.listing_key"],
            name=op.f("fk_listing_history_listing_key_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_history")),
        sa.UniqueConstraint(
            "listing_key", "field", "changed_at", "new_value", name="uq_listing_history_change"
        ),
    )
    with op.batch_alter_table("listing_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listing_history_listing", ["listing_key", "changed_at"], unique=False
        )

    op.create_table(
        "listing_media",
        sa.Column("media_key", sa.String(length=64), nullable=False),
        sa.Column("listing_key", sa.String(length=64), nullable=False),
        sa.Column("media_order", sa.Integer(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("media_category", sa.String(length=64), nullable=True),
        sa.Column("mime_type", sa.String(length=64), nullable=True),
        sa.Column("short_description", sa.Text(), nullable=True),
        sa.Column("image_width", sa.Integer(), nullable=True),
        sa.Column("image_height", sa.Integer(), nullable=True),
        sa.Column(
            "modification_timestamp", wonder.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["listing_key"],
            ["listings.listing_key"],
            name=op.f("fk_listing_media_listing_key_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_key", name=op.f("pk_listing_media")),
    )
    with op.batch_alter_table("listing_media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_media_listing_key"), ["listing_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_media_listing_key"))

    op.drop_table("listing_media")
    with op.batch_alter_table("listing_history", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_history_listing")

    op.drop_table("listing_history")
    op.drop_table("offices")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_email"))

    op.drop_table("members")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_updated_at")
        batch_op.drop_index("ix_listings_status_price")
        batch_op.drop_index("ix_listings_postal_code")
        batch_op.drop_index("ix_listings_modification")
        batch_op.drop_index("ix_listings_list_price")
        batch_op.drop_index("ix_listings_city")

    op.drop_table("listings")
    with op.batch_alter_table("listing_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_changes_listing_key"))

    op.drop_table("listing_changes")
    with op.batch_alter_table("ingest_quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_quarantine_resource_key")

    op.drop_table("ingest_quarantine")
    op.drop_table("ingest_cursors")
    op.drop_table("held_deletes")
    op.drop_table("api_tokens")
