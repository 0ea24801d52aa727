"""The PostgreSQL COPY write path stores exactly what an INSERT stores; media replacement; a page
with a record PostgreSQL cannot hold (NUL) writes the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, Table, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from wonder.db import pg_copy
from wonder.db.engine import session_factory
from wonder.db.models import ChangeKind, Listing, ListingChange, ListingMedia, QuarantinedRecord
from wonder.listings import repository as repo
from wonder.listings.normalize import NormalizedMedia
from wonder.listings.page_apply import write_property_page
from wonder.listings.page_plan import prepare_property_page
from wonder.listings.store import SqlListingStore

LISTINGS: Table = Listing.__table__  # type: ignore[assignment]
MEDIA: Table = ListingMedia.__table__  # type: ignore[assignment]
CHANGES: Table = ListingChange.__table__  # type: ignore[assignment]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Values that a careless COPY would change: cents, half-cents, ints as money, floats, non-UTC
# offsets, microseconds, JSON with big ints, unicode, nesting, nulls and empty containers.
RAW = {
    "ListingKey": "K1",
    "ListPrice": 425000.1,
    "BigNumber": 123456789012345678901234567890,
    "Tiny": 1e-7,
    "Huge": 1e16,
    "Remarks": 'Caf\u00e9 \u00e0 c\u00f4t\u00e9 \U0001f3e1 "quoted" back\\slash\nnewline\ttab',
    "Nested": {"a": [1, 2.5, None, True, False, {"b": []}], "c": {}},
    "Empty": "",
    "Null": None,
}


def listing_row(key: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "listing_key": key,
        "listing_id": f"ID-{key}",
        "standard_status": "Active",
        "mls_status": None,
        "property_type": "Residential",
        "property_sub_type": None,
        "list_price": Decimal("425000.1"),
        "original_list_price": 300000,
        "close_price": Decimal("1.005"),
        "bedrooms_total": 3,
        "bathrooms_total": None,
        "living_area": 1234.5,
        "lot_size_acres": 0.1 + 0.2,
        "year_built": 1999,
        "unparsed_address": "1 Main St",
        "street_number": "1",
        "street_name": "Main",
        "unit_number": None,
        "city": "Springfield",
        "state_or_province": "CA",
        "postal_code": "90210",
        "country": "US",
        "latitude": -33.123456789012,
        "longitude": 151.2,
        "public_remarks": RAW["Remarks"],
        "list_agent_key": "A1",
        "list_office_key": None,
        "listing_contract_date": date(2026, 1, 31),
        "close_date": None,
        "photos_count": 2,
        "photos_change_timestamp": datetime(
            2026, 2, 28, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))
        ),
        "media_synced_timestamp": None,
        "modification_timestamp": T0,
        "raw": {**RAW, "ListingKey": key},
        "deleted_at": None,
        "first_seen_at": T0,
        "updated_at": T0,
        "change_seq": 2**40,
    }
    row.update(changes)
    return row


def read_all(session: Session, table: Table) -> list[dict[str, Any]]:
    key = next(iter(table.primary_key.columns))
    return [dict(row) for row in session.execute(select(table).order_by(key)).mappings()]


@pytest.fixture
def pg_sessions(pg_engine: Engine) -> sessionmaker[Session]:
    return session_factory(pg_engine)


def test_copy_upsert_stores_what_an_insert_stores(pg_sessions: sessionmaker[Session]) -> None:
    rows = [listing_row("K1"), listing_row("K2", list_price=None, raw={"only": ["K2"]})]
    with pg_sessions.begin() as session:
        session.execute(insert(LISTINGS), rows)
    with pg_sessions() as session:
        inserted = read_all(session, LISTINGS)
    with pg_sessions.begin() as session:
        session.execute(delete(LISTINGS))
        pg_copy.copy_upsert(session.connection(), LISTINGS, rows, conflict=["listing_key"])
    with pg_sessions() as session:
        copied = read_all(session, LISTINGS)

    assert copied == inserted
    first = copied[0]
    assert first["list_price"] == Decimal("425000.10")
    assert str(first["original_list_price"]) == "300000.00"
    assert str(first["close_price"]) == "1.00"  # quantized like the INSERT path (half-even)
    assert first["photos_change_timestamp"] == datetime(2026, 2, 28, 18, 29, 59, 123456, tzinfo=UTC)
    assert first["raw"] == RAW
    assert isinstance(first["raw"]["BigNumber"], int)
    assert first["lot_size_acres"] == 0.1 + 0.2
    assert copied[1]["list_price"] is None
    assert copied[1]["raw"] == {"only": ["K2"]}


def test_copy_upsert_overwrites_on_conflict_but_keeps(pg_sessions: sessionmaker[Session]) -> None:
    later = T0 + timedelta(days=1)
    with pg_sessions.begin() as session:
        session.execute(insert(LISTINGS), [listing_row("K1")])
    changed = listing_row(
        "K1",
        list_price=Decimal("399999.99"),
        city=None,
        raw={"changed": True},
        first_seen_at=later,
        updated_at=later,
    )
    with pg_sessions.begin() as session:
        pg_copy.copy_upsert(
            session.connection(),
            LISTINGS,
            [changed, listing_row("K2", first_seen_at=later)],
            conflict=["listing_key"],
            keep=["first_seen_at"],
        )
    with pg_sessions() as session:
        stored = {row["listing_key"]: row for row in read_all(session, LISTINGS)}
    assert stored["K1"]["list_price"] == Decimal("399999.99")
    assert stored["K1"]["city"] is None
    assert stored["K1"]["raw"] == {"changed": True}
    assert stored["K1"]["updated_at"] == later
    assert stored["K1"]["first_seen_at"] == T0  # kept
    assert stored["K2"]["first_seen_at"] == later  # inserted


def test_copy_upserts_share_the_callers_transaction(pg_sessions: sessionmaker[Session]) -> None:
    with pg_sessions() as session:
        for key in ("K1", "K2"):  # twice in one transaction: the staging table is reusable
            pg_copy.copy_upsert(
                session.connection(), LISTINGS, [listing_row(key)], conflict=["listing_key"]
            )
        assert [row["listing_key"] for row in read_all(session, LISTINGS)] == ["K1", "K2"]
        session.rollback()
    with pg_sessions() as session:
        assert read_all(session, LISTINGS) == []


def test_copy_refuses_naive_timestamps_like_an_insert(pg_sessions: sessionmaker[Session]) -> None:
    naive = listing_row("K1", updated_at=datetime(2026, 3, 1, 12, 0))
    with pg_sessions() as session, pytest.raises(ValueError, match="naive datetime"):
        pg_copy.copy_into(session.connection(), LISTINGS, [naive])


def test_copy_refuses_nan_in_json_like_an_insert(pg_sessions: sessionmaker[Session]) -> None:
    # Never stored as null: PostgreSQL refuses the NaN token, as it does through an INSERT.
    bad = listing_row("K1", raw={"Price": [float("nan")]})
    with pg_sessions() as session, pytest.raises(psycopg.errors.DataError):
        pg_copy.copy_into(session.connection(), LISTINGS, [bad])


def media(key: str, listing_key: str, order: int) -> NormalizedMedia:
    return NormalizedMedia(
        media_key=key,
        listing_key=listing_key,
        order=order,
        media_url=f"https://example.com/{key}.jpg",
        media_category="Photo",
        mime_type=None,
        short_description="Kitchen \u00e9",
        image_width=2048,
        image_height=None,
        modification_timestamp=T0 + timedelta(microseconds=order),
        raw={"MediaKey": key, "Order": order, "Big": 2**70},
    )


def test_replace_media_replaces_exactly_and_moves_a_reused_key(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        repo.upsert_listings(session, [listing_row("L1"), listing_row("L2")])
        repo.replace_media(session, ["L1", "L2"], [media("M1", "L1", 1), media("M2", "L1", 2)])
        repo.replace_media(session, ["L2"], [media("M3", "L2", 1), media("M4", "L2", 2)])
    new_l1 = [media("M2", "L1", 5), media("M4", "L1", 6), media("M5", "L1", 7)]
    with sessions.begin() as session:
        assert repo.replace_media(session, ["L1"], new_l1) == 3
    with sessions() as session:
        stored = read_all(session, MEDIA)
    assert [(row["media_key"], row["listing_key"], row["media_order"]) for row in stored] == [
        ("M2", "L1", 5),
        ("M3", "L2", 1),
        ("M4", "L1", 6),  # moved from L2: the listing now sending it owns it
        ("M5", "L1", 7),
    ]
    m5 = stored[-1]
    assert m5["raw"] == {"MediaKey": "M5", "Order": 7, "Big": 2**70}
    assert m5["modification_timestamp"] == T0 + timedelta(microseconds=7)
    assert m5["mime_type"] is None
    assert m5["image_height"] is None
    assert m5["short_description"] == "Kitchen \u00e9"


def test_replace_media_with_nothing_clears(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        repo.upsert_listings(session, [listing_row("L1")])
        repo.replace_media(session, ["L1"], [media("M1", "L1", 1)])
    with sessions.begin() as session:
        assert repo.replace_media(session, ["L1"], []) == 0
    with sessions() as session:
        assert read_all(session, MEDIA) == []


def test_append_changes_draws_seqs_in_order(sessions: sessionmaker[Session]) -> None:
    later = T0 + timedelta(microseconds=1)
    with sessions.begin() as session:
        first = repo.append_changes(session, [("A", ChangeKind.UPSERT)], T0)
        seqs = repo.append_changes(
            session,
            [
                ("C", ChangeKind.UPSERT),
                ("B", ChangeKind.DELETE),
                ("D", ChangeKind.UPSERT),
                ("C", ChangeKind.DELETE),
            ],
            later,
        )
    assert first["A"] < seqs["B"] < seqs["D"] < seqs["C"]  # C's last change is the newest
    with sessions() as session:
        stored = read_all(session, CHANGES)
    assert [(row["listing_key"], row["kind"]) for row in stored] == [
        ("A", "upsert"),
        ("C", "upsert"),
        ("B", "delete"),
        ("D", "upsert"),
        ("C", "delete"),
    ]
    assert [row["changed_at"] for row in stored] == [T0] + [later] * 4
    assert stored[-1]["seq"] == seqs["C"]


def test_listings_believed_new_are_stored_like_the_upsert(sessions: sessionmaker[Session]) -> None:
    rows = [listing_row("K1"), listing_row("K2", list_price=None, raw={"only": ["K2"]})]
    with sessions.begin() as session:
        repo.upsert_listings(session, rows)
        upserted = read_all(session, LISTINGS)
        session.execute(delete(LISTINGS))
    with sessions.begin() as session:
        repo.upsert_listings(session, rows, believed_new=True)
    with sessions() as session:
        assert read_all(session, LISTINGS) == upserted


def test_a_listing_believed_new_but_stored_is_overwritten_keeping_first_seen(
    sessions: sessionmaker[Session],
) -> None:
    # Another writer stored K1 after this transaction looked: the COPY must not fail the page.
    later = T0 + timedelta(days=1)
    with sessions.begin() as session:
        repo.upsert_listings(session, [listing_row("K1")])
    changed = listing_row("K1", city="Shelbyville", first_seen_at=later, updated_at=later)
    with sessions.begin() as session:
        all_new = repo.upsert_listings(
            session, [changed, listing_row("K2", first_seen_at=later)], believed_new=True
        )
        assert all_new is False
    with sessions() as session:
        stored = {row["listing_key"]: row for row in read_all(session, LISTINGS)}
    assert stored["K1"]["city"] == "Shelbyville"
    assert stored["K1"]["first_seen_at"] == T0
    assert stored["K2"]["first_seen_at"] == later


def test_media_of_new_listings_take_a_key_another_listing_holds(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        repo.upsert_listings(session, [listing_row("L1")])
        repo.replace_media(session, ["L1"], [media("M1", "L1", 1), media("M2", "L1", 2)])
    with sessions.begin() as session:
        repo.upsert_listings(session, [listing_row("L2")], believed_new=True)
        written = repo.replace_media(
            session, ["L2"], [media("M2", "L2", 1), media("M3", "L2", 2)], listings_new=True
        )
        assert written == 2
    with sessions() as session:
        stored = read_all(session, MEDIA)
    assert [(row["media_key"], row["listing_key"], row["media_order"]) for row in stored] == [
        ("M1", "L1", 1),
        ("M2", "L2", 1),
        ("M3", "L2", 2),
    ]


def test_a_page_with_a_nul_in_a_photo_stores_the_rest_and_quarantines_the_photo(
    sessions: sessionmaker[Session],
) -> None:
    # PostgreSQL refuses NUL in JSON: written as is, the photo would fail its whole page.
    photos = [
        {"MediaKey": "M1", "ResourceRecordKey": "K1", "Order": 1},
        {"MediaKey": "M2", "ResourceRecordKey": "K1", "Order": 2, "LongDescription": "a\x00b"},
    ]
    record = {
        "ListingKey": "K1",
        "ModificationTimestamp": "2026-03-01T12:00:00Z",
        "StandardStatus": "Active",
        "PhotosCount": 2,
        "PhotosChangeTimestamp": "2026-03-01T12:00:00Z",
        "Media": photos,
    }
    with sessions.begin() as session:
        writes = write_property_page(SqlListingStore(session), prepare_property_page([record]), T0)
    assert (writes.inserted, writes.quarantined) == (1, 1)
    with sessions() as session:
        assert list(session.scalars(select(ListingMedia.media_key))) == ["M1"]
        quarantined = session.scalars(select(QuarantinedRecord)).one()
        assert (quarantined.record_key, quarantined.reason) == (
            "M2",
            "raw: contains a NUL character",
        )
