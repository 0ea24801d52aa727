"""The listing slice's tables: listings (RESO Property), their media, history and change feed,
agents (Member) and offices.

Listings mirror the RESO Property resource (normalized columns + the raw record).
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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.enums import ChangeKind, HistoryField
from wonder.db.types import BigId, JsonDocument, Money, UTCDateTime, str_enum


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
    # The wonder.v1.Listing this row was written as, BASIC view (wonder.listings.rendered; FULL
    # adds public_remarks, media, agent and office). Valid only while api_seq = change_seq and
    # api_version is
    # the code's RENDER_VERSION: a write that does not render (a soft delete, a media-only
    # refresh) moves change_seq on, and the read path maps such rows from their columns.
    api_basic: Mapped[bytes | None] = mapped_column(LargeBinary)
    api_seq: Mapped[int | None] = mapped_column(BigInteger)
    api_version: Mapped[int | None] = mapped_column(Integer)

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
    # This row as a wonder.v1.ListingMedia, valid while api_version is the code's RENDER_VERSION
    # (media rows are only ever replaced whole, so the message cannot fall behind the columns).
    api_message: Mapped[bytes | None] = mapped_column(LargeBinary)
    api_version: Mapped[int | None] = mapped_column(Integer)


class ListingHistory(Base):
    """A price or status change of a listing, as observed by the ingest."""

    __tablename__ = "listing_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    listing_key: Mapped[str] = mapped_column(
        String(64), ForeignKey("listings.listing_key", ondelete="CASCADE")
    )
    field: Mapped[HistoryField] = mapped_column(str_enum(HistoryField, 32))
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
    kind: Mapped[ChangeKind] = mapped_column(str_enum(ChangeKind, 16))
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
