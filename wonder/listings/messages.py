"""Listing read records -> wonder.v1 messages (listings, media, agents, offices). Pure.

Used by the API's read path and by the ingest, which stores each listing's and photo's message
as it writes the row (:mod:`wonder.listings.rendered`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wonder.listings.normalize import (
    NormalizedMedia,
    TransactionType,
    property_type_name,
    transaction_type,
)
from wonder.listings.read_repository import (
    AgentRecord,
    ListingRecord,
    ListingWithParties,
    MediaRecord,
    OfficeRecord,
    StoredMedia,
)
from wonder.proto_values import set_date, set_latlng, set_money, set_timestamp
from wonder.v1 import listing_pb2

_TRANSACTION_TYPES = {
    TransactionType.SALE: listing_pb2.TRANSACTION_TYPE_SALE,
    TransactionType.LEASE: listing_pb2.TRANSACTION_TYPE_LEASE,
}
_NO_TRANSACTION_TYPE = listing_pb2.TRANSACTION_TYPE_UNSPECIFIED


def _transaction_type(property_type: str | None) -> listing_pb2.TransactionType.ValueType:
    kind = transaction_type(property_type)
    return _NO_TRANSACTION_TYPE if kind is None else _TRANSACTION_TYPES[kind]


def listing_name(key: str) -> str:
    return f"listings/{key}"


def agent_name(key: str) -> str:
    return f"agents/{key}"


def office_name(key: str) -> str:
    return f"offices/{key}"


def listing_to_proto(
    row: ListingRecord,
    *,
    full: bool,
    media: Sequence[StoredMedia | MediaRecord] = (),
    agent: AgentRecord | None = None,
    office: OfficeRecord | None = None,
) -> listing_pb2.Listing:
    """A Listing message from its columns; the FULL-only fields are filled when ``full``."""
    message = listing_pb2.Listing(
        name=listing_name(row.listing_key),
        listing_key=row.listing_key,
        listing_id=row.listing_id or "",
        standard_status=row.standard_status or "",
        mls_status=row.mls_status or "",
        property_type=property_type_name(row.property_type) or "",
        transaction_type=_transaction_type(row.property_type),
        property_sub_type=row.property_sub_type or "",
        bedrooms_total=row.bedrooms_total,
        bathrooms_total=row.bathrooms_total,
        living_area=row.living_area,
        lot_size_acres=row.lot_size_acres,
        year_built=row.year_built,
        unparsed_address=row.unparsed_address or "",
        street_number=row.street_number or "",
        street_name=row.street_name or "",
        unit_number=row.unit_number or "",
        city=row.city or "",
        state_or_province=row.state_or_province or "",
        postal_code=row.postal_code or "",
        country=row.country or "",
        list_agent=agent_name(row.list_agent_key) if row.list_agent_key else "",
        list_office=office_name(row.list_office_key) if row.list_office_key else "",
        photos_count=row.photos_count,
        change_cursor=row.change_seq or 0,
    )
    set_money(message.list_price, row.list_price)
    set_money(message.original_list_price, row.original_list_price)
    set_money(message.close_price, row.close_price)
    set_date(message.listing_contract_date, row.listing_contract_date)
    set_date(message.close_date, row.close_date)
    set_timestamp(message.photos_change_time, row.photos_change_timestamp)
    set_timestamp(message.modification_time, row.modification_timestamp)
    set_timestamp(message.create_time, row.first_seen_at)
    set_timestamp(message.update_time, row.updated_at)
    set_timestamp(message.delete_time, row.deleted_at)
    set_latlng(message.location, row.latitude, row.longitude)
    if full:
        message.public_remarks = row.public_remarks or ""
        _add_parts(message, media, agent, office)
    return message


def fill_listing(
    target: listing_pb2.Listing,
    row: ListingWithParties,
    *,
    full: bool,
    media: Sequence[StoredMedia | MediaRecord] = (),
) -> None:
    """``target`` (an empty Listing, e.g. a page's next entry) = the listing ``row`` read: its
    stored message parsed (about 1 µs) or, when it has none current, mapped from its columns."""
    if row.stored is not None:
        target.MergeFromString(row.stored)
        if full:
            target.public_remarks = row.remarks or ""
    else:
        assert row.listing is not None  # a row without a current message carries its columns
        target.CopyFrom(listing_to_proto(row.listing, full=full))
    if full:
        _add_parts(target, media, row.agent, row.office)


def _add_parts(
    message: listing_pb2.Listing,
    media: Sequence[StoredMedia | MediaRecord],
    agent: AgentRecord | None,
    office: OfficeRecord | None,
) -> None:
    """The FULL view's media, agent and office, built where they live (extend() and CopyFrom()
    would copy each message again)."""
    for item in media:
        if isinstance(item, StoredMedia):
            message.media.add().MergeFromString(item.message)
        else:
            set_timestamp(
                message.media.add(**_media_fields(item)).modification_time,
                item.modification_timestamp,
            )
    if agent is not None:
        _fill_agent(message.list_agent_details, agent)
    if office is not None:
        _fill_office(message.list_office_details, office)


def _media_fields(row: MediaRecord | NormalizedMedia) -> dict[str, Any]:
    return {
        "name": f"{listing_name(row.listing_key)}/media/{row.media_key}",
        "media_key": row.media_key,
        "order": row.order,
        "media_url": row.media_url or "",
        "media_category": row.media_category or "",
        "mime_type": row.mime_type or "",
        "short_description": row.short_description or "",
        "image_width": row.image_width,
        "image_height": row.image_height,
    }


def media_to_proto(row: MediaRecord | NormalizedMedia) -> listing_pb2.ListingMedia:
    """A photo's message, from its row or from the ingest's record (the same fields)."""
    message = listing_pb2.ListingMedia(**_media_fields(row))
    set_timestamp(message.modification_time, row.modification_timestamp)
    return message


def _fill_agent(message: listing_pb2.Agent, row: AgentRecord) -> None:
    message.name = agent_name(row.member_key)
    message.member_key = row.member_key
    message.member_mls_id = row.member_mls_id or ""
    message.first_name = row.first_name or ""
    message.last_name = row.last_name or ""
    message.full_name = row.full_name or ""
    message.email = row.email or ""
    message.phone = row.phone or ""
    message.office = office_name(row.office_key) if row.office_key else ""
    message.status = row.status or ""
    set_timestamp(message.modification_time, row.modification_timestamp)
    set_timestamp(message.update_time, row.updated_at)
    set_timestamp(message.delete_time, row.deleted_at)


def agent_to_proto(row: AgentRecord) -> listing_pb2.Agent:
    message = listing_pb2.Agent()
    _fill_agent(message, row)
    return message


def _fill_office(message: listing_pb2.Office, row: OfficeRecord) -> None:
    message.name = office_name(row.office_key)
    message.office_key = row.office_key
    message.office_mls_id = row.office_mls_id or ""
    message.display_name = row.name or ""
    message.phone = row.phone or ""
    message.email = row.email or ""
    message.city = row.city or ""
    message.state_or_province = row.state_or_province or ""
    message.postal_code = row.postal_code or ""
    message.status = row.status or ""
    set_timestamp(message.modification_time, row.modification_timestamp)
    set_timestamp(message.update_time, row.updated_at)
    set_timestamp(message.delete_time, row.deleted_at)


def office_to_proto(row: OfficeRecord) -> listing_pb2.Office:
    message = listing_pb2.Office()
    _fill_office(message, row)
    return message
