"""The messages the ingest stores with each listing and photo say what the columns say.

The read path parses a listing's stored message instead of mapping its columns while the message
is current (``wonder.listings.rendered``). The oracle here is the columns themselves, read with
the ORM and mapped, after a first load and an incremental run from the sandbox over HTTP, on
SQLite and PostgreSQL; every RPC that returns listings is compared. Soft deletes and media-only
refreshes restamp the stored messages; any other write of the columns (moving ``change_seq`` or
not: migration 0008's trigger) and a message rendered by another release must be read from the
columns instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.integration.api.conftest import ListingApi
from tests.integration.listings.sandbox_checks import trestle_client
from tests.trestle_fixtures import RunningTrestle
from wonder.db.models import Listing, ListingChange, ListingMedia, Member, Office
from wonder.db.uow import unit_of_work
from wonder.listings import repository, service
from wonder.listings.api_version import RENDER_VERSION
from wonder.listings.messages import listing_to_proto
from wonder.listings.read_repository import AgentRecord, ListingRecord, MediaRecord, OfficeRecord
from wonder.settings import ListingIngestSettings
from wonder.v1 import listing_pb2
from wonder.v1 import listing_service_pb2 as pb

INGEST = ListingIngestSettings()
FULL, BASIC = listing_pb2.LISTING_VIEW_FULL, listing_pb2.LISTING_VIEW_BASIC


def _record(record_type: Any, row: object) -> Any:
    """``row``'s columns as a read record (the fields are named like the columns)."""
    return record_type._make(getattr(row, name) for name in record_type._fields)


def from_columns(session: Session, key: str, *, full: bool) -> listing_pb2.Listing:
    """What the API must show for ``key``: its columns, mapped (the oracle)."""
    row = session.get(Listing, key)
    assert row is not None
    record = _record(ListingRecord, row)
    assert isinstance(record, ListingRecord)
    if not full:
        return listing_to_proto(record._replace(public_remarks=None), full=False)
    photos = session.scalars(select(ListingMedia).where(ListingMedia.listing_key == key)).all()
    ordered = sorted(photos, key=lambda m: (m.order is None, m.order or 0, m.media_key))
    agent = session.get(Member, row.list_agent_key) if row.list_agent_key else None
    office = session.get(Office, row.list_office_key) if row.list_office_key else None
    return listing_to_proto(
        record,
        full=True,
        media=[_record(MediaRecord, m) for m in ordered],
        agent=_record(AgentRecord, agent) if agent else None,
        office=_record(OfficeRecord, office) if office else None,
    )


def keys_of(api: ListingApi) -> list[str]:
    with api.sessions() as session:
        return sorted(session.scalars(select(Listing.listing_key)))


def first_loaded(api: ListingApi, running: RunningTrestle) -> list[str]:
    """The sandbox's listings first-loaded over HTTP; their keys."""
    with trestle_client(running, page_size=10) as client:
        service.first_load(client, api.sessions, INGEST)
    return keys_of(api)


def current_rows(api: ListingApi) -> int:
    with api.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Listing)
                .where(Listing.api_seq == Listing.change_seq, Listing.api_version == RENDER_VERSION)
            )
            or 0
        )


async def assert_api_shows_the_columns(api: ListingApi, keys: Sequence[str]) -> None:
    names = [f"listings/{key}" for key in keys]
    with api.sessions() as session:
        last_change = int(session.scalar(select(func.max(ListingChange.seq))) or 0)
        for view, full in ((FULL, True), (BASIC, False)):
            expected = [from_columns(session, key, full=full) for key in keys]
            for name, want in zip(names, expected, strict=True):
                got = await api.stub.GetListing(
                    pb.GetListingRequest(name=name, view=view), metadata=api.metadata
                )
                assert got == want, name
            batch = await api.stub.BatchGetListings(
                pb.BatchGetListingsRequest(names=names, view=view), metadata=api.metadata
            )
            assert list(batch.listings) == expected
            paged: list[listing_pb2.Listing] = []
            token = ""
            while True:
                page = await api.stub.ListListings(
                    pb.ListListingsRequest(
                        page_size=7, page_token=token, view=view, show_deleted=True
                    ),
                    metadata=api.metadata,
                )
                paged += page.listings
                token = page.next_page_token
                if not token:
                    break
            by_key = dict(zip(keys, expected, strict=True))
            assert {m.listing_key: m for m in paged} == by_key
            streamed: dict[str, listing_pb2.Listing] = {}
            async for change in api.stub.StreamListingChanges(
                pb.StreamListingChangesRequest(start_cursor=0, view=view),
                metadata=api.metadata,
                timeout=5,
            ):
                if change.kind == pb.ListingChange.KIND_UPSERT:
                    # A listing's latest change carries what it is now.
                    streamed[change.listing.listing_key] = change.listing
                if change.cursor >= last_change:
                    break
            # Each live listing's latest change carries it as it is now (a column write that
            # bypassed the feed aside: its change_seq names no change).
            latest = {
                k: m
                for k, m in by_key.items()
                if m.delete_time.seconds == 0 and m.change_cursor <= last_change
            }
            assert {k: streamed[k] for k in latest} == latest


async def test_every_listing_reads_as_its_columns_say(
    api: ListingApi, make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    running = make_trestle_sandbox(listings=40, seed=11)
    with trestle_client(running, page_size=10) as client:
        service.first_load(client, api.sessions, INGEST)
        keys = keys_of(api)
        assert current_rows(api) == len(keys)  # the fast path is what is being compared
        await assert_api_shows_the_columns(api, keys)

        running.sandbox.advance(
            seconds=600, price_changes=8, status_changes=4, media_changes=4, new_listings=3
        )
        service.incremental(client, api.sessions, INGEST)
    keys = keys_of(api)
    # Updated, inserted, deleted and media-only rows alike: the ingest kept every message current.
    assert current_rows(api) == len(keys)
    await assert_api_shows_the_columns(api, keys)


async def test_soft_deletes_restamp_and_other_writes_are_read_from_the_columns(
    api: ListingApi, make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    keys = first_loaded(api, make_trestle_sandbox(listings=12, seed=3))
    deleted, moved, quiet = keys[:2], keys[2], keys[3]
    with unit_of_work(api.sessions) as session:
        repository.soft_delete(session, deleted, datetime.now(UTC))
        # Another writer of the columns that moves change_seq (as the change feed needs) ...
        session.execute(
            update(Listing)
            .where(Listing.listing_key == moved)
            .values(city="Elsewhere", change_seq=Listing.change_seq + 1000)
        )
        # ... and one that knows nothing of it: an operator's SQL fix (the trigger of 0008).
        session.execute(update(Listing).where(Listing.listing_key == quiet).values(city="Fixed"))
        session.execute(
            update(ListingMedia)
            .where(ListingMedia.listing_key == quiet)
            .values(media_url="https://fixed.example/photo.jpg")
        )
    assert current_rows(api) == len(keys) - 2  # the soft deletes restamped their messages
    await assert_api_shows_the_columns(api, keys)
    for key, city in ((moved, "Elsewhere"), (quiet, "Fixed")):
        got = await api.stub.GetListing(
            pb.GetListingRequest(name=f"listings/{key}", view=FULL), metadata=api.metadata
        )
        assert got.city == city
    assert {photo.media_url for photo in got.media} == {"https://fixed.example/photo.jpg"}


async def test_messages_of_another_release_or_an_older_change_are_not_used(
    api: ListingApi, make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    keys = first_loaded(api, make_trestle_sandbox(listings=6, seed=5))
    stale = listing_pb2.Listing(name="listings/x", city="Rendered elsewhere")
    stale_photo = listing_pb2.ListingMedia(name="x", media_url="https://elsewhere.example/x")
    with unit_of_work(api.sessions) as session:
        session.execute(
            update(Listing).values(
                api_basic=stale.SerializeToString(),
                api_version=RENDER_VERSION + 1,
            )
        )
        session.execute(
            update(ListingMedia).values(
                api_message=stale_photo.SerializeToString(), api_version=RENDER_VERSION + 1
            )
        )
        # This release's rendering, but of an older change of the row (change_seq moved on
        # since, in a write the trigger does not see: it stored a message too).
        session.execute(
            update(Listing)
            .where(Listing.listing_key == keys[0])
            .values(api_version=RENDER_VERSION, change_seq=Listing.change_seq + 1)
        )
    await assert_api_shows_the_columns(api, keys)
