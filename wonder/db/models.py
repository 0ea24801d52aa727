"""The operational database: every table the platform writes.

Listings mirror the RESO Property resource (normalized columns + the raw record); the ingest keeps
its cursors, its quarantine of bad records and a change feed beside them so a page of data and the
cursor that covers it commit together.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.types import JsonDocument, Money, UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Listing(Base):
    """One MLS listing (RESO Property), normalized, with the raw record kept beside it."""

    __tablename__ = "listings"

    listing_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    listing_id: Mapped[str | None] = mapped_column(String(64))
    standard_status: Mapped[str | None] = mapped_column(String(32))
    mls_status: Mapped[str | None] = mapped_column(String(64))
    property_type: Mapped[str | None] = mapped_column(String(64))
    property_sub_type: Mapped[str | None] = mapped_column(String(64))
    list_price: Mapped[Decimal | None] = mapped_column(Money)
    original_list_price: Mapped[Decimal | None] = mapped_column(Money)
    close_price: Mapped[Decimal | None] = mapped_column(Money)
    bedrooms_total: Mapped[int | None] = mapped_column(Integer)
    bathrooms_total: Mapped[int | None] = mapped_column(Integer)
    living_area: Mapped[float | None] = mapped_column(Float)
    lot_size_acres: Mapped[float | None] = mapped_column(Float)
    year_built: Mapped[int | None] = mapped_column(Integer)
    unparsed_address: Mapped[str | None] = mapped_column(String(255))
    street_number: Mapped[str | None] = mapped_column(String(32))
    street_name: Mapped[str | None] = mapped_column(String(128))
    unit_number: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(128))
    state_or_province: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(8))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    public_remarks: Mapped[str | None] = mapped_column(Text)
    list_agent_key: Mapped[str | None] = mapped_column(String(64))
    list_office_key: Mapped[str | None] = mapped_column(String(64))
    listing_contract_date: Mapped[date | None] = mapped_column(Date)
    close_date: Mapped[date | None] = mapped_column(Date)
    photos_count: Mapped[int | None] = mapped_column(Integer)
    photos_change_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The media we hold were read when PhotosChangeTimestamp had this value.
    media_synced_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modification_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    # Listings are never removed: a delete (census or StandardStatus 'Delete') stamps deleted_at.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Sequence number of the latest change (listing_changes.seq) for this listing.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        Index("ix_listings_modification", "modification_timestamp", "listing_key"),
        # Status filter + price order + the keyset tiebreak (migration 0002).
        Index("ix_listings_status_price_key", "standard_status", "list_price", "listing_key"),
        Index("ix_listings_city", "city"),
        Index("ix_listings_postal_code", "postal_code"),
        Index("ix_listings_list_price", "list_price", "listing_key"),
        Index("ix_listings_updated_at", "updated_at", "listing_key"),
    )


class ListingMedia(Base):
    """A photo or document of a listing (RESO Media), ordered by ``order``."""

    __tablename__ = "listing_media"

    media_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    listing_key: Mapped[str] = mapped_column(
        String(64), ForeignKey("listings.listing_key", ondelete="CASCADE"), index=True
    )
    order: Mapped[int | None] = mapped_column("media_order", Integer)
    media_url: Mapped[str | None] = mapped_column(Text)
    media_category: Mapped[str | None] = mapped_column(String(64))
    mime_type: Mapped[str | None] = mapped_column(String(64))
    short_description: Mapped[str | None] = mapped_column(Text)
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    modification_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class ListingHistory(Base):
    """A price or status change of a listing, as observed by the ingest."""

    __tablename__ = "listing_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    listing_key: Mapped[str] = mapped_column(
        String(64), ForeignKey("listings.listing_key", ondelete="CASCADE")
    )
    # 'list_price' | 'standard_status'
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str | None] = mapped_column(String(64))
    # The source's ModificationTimestamp of the record that carried the change.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_listing_history_listing", "listing_key", "changed_at"),
        # Re-ingesting the same record twice must not write the same change twice.
        UniqueConstraint(
            "listing_key", "field", "changed_at", "new_value", name="uq_listing_history_change"
        ),
    )


class ListingChange(Base):
    """Append-only change feed: one row per insert/update/delete of a listing.

    ``seq`` is the cursor of the gRPC replication stream (StreamListingChanges).
    """

    __tablename__ = "listing_changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    listing_key: Mapped[str] = mapped_column(String(64), index=True)
    # 'upsert' | 'delete'
    kind: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Member(Base):
    """An MLS agent (RESO Member)."""

    __tablename__ = "members"

    member_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_mls_id: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    full_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    office_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    modification_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Office(Base):
    """An MLS brokerage office (RESO Office)."""

    __tablename__ = "offices"

    office_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_mls_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(128))
    state_or_province: Mapped[str | None] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(32))
    modification_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IngestCursor(Base):
    """Where an incremental ingest of one resource stands: (timestamp, key) keyset position."""

    __tablename__ = "ingest_cursors"

    # e.g. 'Property', 'Member', 'Office', 'Property:replication'
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    modification_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_key: Mapped[str | None] = mapped_column(String(64))
    # Free-form state (e.g. the high-water mark a first load started from).
    state: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuarantinedRecord(Base):
    """A source record the ingest could not accept, kept with the reason; never silently lost."""

    __tablename__ = "ingest_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(32))
    record_key: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # sha256 of the canonical raw record: the same bad record quarantined twice is one row.
    payload_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("resource", "payload_hash", name="uq_ingest_quarantine_payload"),
        Index("ix_ingest_quarantine_resource_key", "resource", "record_key"),
    )


class HeldDelete(Base):
    """A census that wanted to delete more than the mass-delete guard allows, awaiting approval."""

    __tablename__ = "held_deletes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(32))
    keys: Mapped[list[str]] = mapped_column(JsonDocument)
    stored_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 'held' | 'approved' | 'rejected' | 'applied'
    status: Mapped[str] = mapped_column(String(16), default="held")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A consumer's bearer token for the gRPC API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, to recognise it in a listing without revealing it.
    token_prefix: Mapped[str] = mapped_column(String(16))
    # Space-separated scopes, e.g. "listings:read sync:read".
    scopes: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
