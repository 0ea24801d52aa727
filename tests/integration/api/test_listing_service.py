"""ListingService reads over loopback gRPC through the real server (auth, interceptors)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, timedelta
from decimal import Decimal

import grpc
import grpc.aio
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from grpc_server.servicers import METHOD_SCOPES
from grpc_server.status import is_statement_timeout
from tests.integration.api.conftest import (
    T0,
    ListingApi,
    field_violations,
    make_listing,
    resource_infos,
    seed,
)
from wonder.db.engine import async_session_factory, make_async_engine
from wonder.db.models import ListingHistory, ListingMedia, Member, Office
from wonder.db.read_only import read_only_transaction
from wonder.v1 import listing_pb2, listing_service_pb2

pb = listing_service_pb2
FULL = listing_pb2.LISTING_VIEW_FULL
BASIC = listing_pb2.LISTING_VIEW_BASIC


def media(listing_key: str, key: str, order: int | None) -> ListingMedia:
    return ListingMedia(
        media_key=key,
        listing_key=listing_key,
        order=order,
        media_url=f"https://media.example/{key}.jpg",
        media_category="Photo",
        mime_type="image/jpeg",
        raw={},
    )


def seed_full_listing(api: ListingApi) -> None:
    seed(
        api.sessions,
        Office(
            office_key="O1",
            name="Wonder Realty",
            city="Austin",
            modification_timestamp=T0,
            raw={},
            updated_at=T0,
        ),
        Member(
            member_key="M1",
            full_name="Jane Doe",
            email="jane@example.com",
            office_key="O1",
            modification_timestamp=T0,
            raw={},
            updated_at=T0,
        ),
        make_listing(
            "L1",
            list_price=Decimal("1234567.89"),
            close_price=Decimal("-0.5"),
            public_remarks="Corner lot.",
            list_agent_key="M1",
            list_office_key="O1",
            listing_contract_date=date(2024, 4, 2),
            change_seq=42,
        ),
    )
    seed(api.sessions, media("L1", "P2", 2), media("L1", "P1", 1), media("L1", "PX", None))


async def test_get_listing_full_view(api: ListingApi) -> None:
    seed_full_listing(api)
    got = await api.stub.GetListing(pb.GetListingRequest(name="listings/L1"), metadata=api.metadata)
    assert got.name == "listings/L1"
    assert (got.list_price.currency_code, got.list_price.units, got.list_price.nanos) == (
        "USD",
        1234567,
        890_000_000,
    )
    assert (got.close_price.units, got.close_price.nanos) == (0, -500_000_000)
    assert not got.HasField("original_list_price")
    assert got.bedrooms_total == 3
    assert not got.HasField("lot_size_acres")
    assert got.modification_time.ToDatetime(tzinfo=UTC) == T0
    assert not got.HasField("delete_time")
    assert (got.listing_contract_date.year, got.listing_contract_date.day) == (2024, 2)
    assert (got.location.latitude, got.location.longitude) == (30.27, -97.74)
    assert got.list_agent == "agents/M1"
    assert got.list_office == "offices/O1"
    assert got.change_cursor == 42
    # FULL is the default for Get: remarks, ordered media, embedded agent and office.
    assert got.public_remarks == "Corner lot."
    assert [m.media_key for m in got.media] == ["P1", "P2", "PX"]
    assert got.media[0].name == "listings/L1/media/P1"
    assert got.list_agent_details.full_name == "Jane Doe"
    assert got.list_agent_details.office == "offices/O1"
    assert got.list_office_details.display_name == "Wonder Realty"


async def test_get_listing_basic_view_leaves_out_the_heavy_fields(api: ListingApi) -> None:
    seed_full_listing(api)
    got = await api.stub.GetListing(
        pb.GetListingRequest(name="listings/L1", view=BASIC), metadata=api.metadata
    )
    assert got.listing_key == "L1"
    assert got.public_remarks == ""
    assert len(got.media) == 0
    assert not got.HasField("list_agent_details")
    assert not got.HasField("list_office_details")


async def test_get_listing_returns_soft_deleted_listings(api: ListingApi) -> None:
    seed(api.sessions, make_listing("GONE", deleted_at=T0 + timedelta(days=1)))
    got = await api.stub.GetListing(
        pb.GetListingRequest(name="listings/GONE"), metadata=api.metadata
    )
    assert got.delete_time.ToDatetime(tzinfo=UTC) == T0 + timedelta(days=1)


async def test_missing_listing_is_not_found_with_resource_info(api: ListingApi) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.GetListing(pb.GetListingRequest(name="listings/NOPE"), metadata=api.metadata)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    [info] = resource_infos(caught.value)
    assert (info.resource_type, info.resource_name) == ("wonder.v1.Listing", "listings/NOPE")


@pytest.mark.parametrize("name", ["", "L1", "agents/L1", "listings/a/b"])
async def test_malformed_name_is_invalid_argument(api: ListingApi, name: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.GetListing(pb.GetListingRequest(name=name), metadata=api.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "listings/{key}" in field_violations(caught.value)["name"]


async def test_batch_get_preserves_order_and_duplicates(api: ListingApi) -> None:
    seed(api.sessions, *(make_listing(key) for key in ("A", "B", "C")))
    got = await api.stub.BatchGetListings(
        pb.BatchGetListingsRequest(names=["listings/C", "listings/A", "listings/C"], view=BASIC),
        metadata=api.metadata,
    )
    assert [listing.listing_key for listing in got.listings] == ["C", "A", "C"]


async def test_batch_get_is_all_or_not_found(api: ListingApi) -> None:
    seed(api.sessions, make_listing("A"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.BatchGetListings(
            pb.BatchGetListingsRequest(names=["listings/A", "listings/X", "listings/Y"]),
            metadata=api.metadata,
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert [i.resource_name for i in resource_infos(caught.value)] == ["listings/X", "listings/Y"]


@pytest.mark.parametrize(
    ("names", "field"),
    [
        ([], "names"),
        (["listings/A"] * 1001, "names"),
        (["listings/A", "bogus"], "names[1]"),
    ],
)
async def test_batch_get_invalid_requests(api: ListingApi, names: list[str], field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.BatchGetListings(
            pb.BatchGetListingsRequest(names=names), metadata=api.metadata
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)


async def test_get_agent_and_office(api: ListingApi) -> None:
    seed_full_listing(api)
    agent = await api.stub.GetAgent(pb.GetAgentRequest(name="agents/M1"), metadata=api.metadata)
    assert (agent.name, agent.email, agent.office) == (
        "agents/M1",
        "jane@example.com",
        "offices/O1",
    )
    office = await api.stub.GetOffice(pb.GetOfficeRequest(name="offices/O1"), metadata=api.metadata)
    assert (office.name, office.display_name, office.city) == (
        "offices/O1",
        "Wonder Realty",
        "Austin",
    )
    with pytest.raises(grpc.aio.AioRpcError) as agent_error:
        await api.stub.GetAgent(pb.GetAgentRequest(name="agents/NOPE"), metadata=api.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as office_error:
        await api.stub.GetOffice(pb.GetOfficeRequest(name="offices/NOPE"), metadata=api.metadata)
    for caught, name in ((agent_error, "agents/NOPE"), (office_error, "offices/NOPE")):
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert resource_infos(caught.value)[0].resource_name == name


async def test_list_listing_media_pages_in_display_order(api: ListingApi) -> None:
    seed(api.sessions, make_listing("L1"))
    seed(api.sessions, *(media("L1", f"P{i}", i) for i in (3, 1, 2)), media("L1", "P0", None))
    keys: list[str] = []
    token = ""
    while True:
        page = await api.stub.ListListingMedia(
            pb.ListListingMediaRequest(parent="listings/L1", page_size=2, page_token=token),
            metadata=api.metadata,
        )
        keys += [m.media_key for m in page.media]
        token = page.next_page_token
        if not token:
            break
    assert keys == ["P1", "P2", "P3", "P0"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListingMedia(
            pb.ListListingMediaRequest(parent="listings/NOPE"), metadata=api.metadata
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_listing_history_pages_oldest_first(api: ListingApi) -> None:
    seed(api.sessions, make_listing("L1"), make_listing("L2"))
    entries = [
        ("list_price", "500000.00", "480000.00", 2),
        ("standard_status", "Active", "Pending", 3),
        ("list_price", None, "500000.00", 1),
    ]
    seed(
        api.sessions,
        *(
            ListingHistory(
                listing_key="L1",
                field=field,
                old_value=old,
                new_value=new,
                changed_at=T0 + timedelta(days=day),
                recorded_at=T0 + timedelta(days=day, minutes=5),
            )
            for field, old, new, day in entries
        ),
        ListingHistory(
            listing_key="L2",
            field="list_price",
            old_value=None,
            new_value="1.00",
            changed_at=T0,
            recorded_at=T0,
        ),
    )
    first = await api.stub.ListListingHistory(
        pb.ListListingHistoryRequest(parent="listings/L1", page_size=2), metadata=api.metadata
    )
    second = await api.stub.ListListingHistory(
        pb.ListListingHistoryRequest(
            parent="listings/L1", page_size=2, page_token=first.next_page_token
        ),
        metadata=api.metadata,
    )
    got = [*first.entries, *second.entries]
    assert second.next_page_token == ""
    assert [(e.new_value, e.change_time.ToDatetime(tzinfo=UTC).day) for e in got] == [
        ("500000.00", 2),
        ("480000.00", 3),
        ("Pending", 4),
    ]
    assert not got[0].HasField("old_value")
    assert got[1].field == listing_pb2.ListingHistoryEntry.FIELD_LIST_PRICE
    assert got[2].field == listing_pb2.ListingHistoryEntry.FIELD_STANDARD_STATUS
    assert got[0].name.startswith("listings/L1/history/")
    # A token of L1's history is not valid for L2's.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListingHistory(
            pb.ListListingHistoryRequest(parent="listings/L2", page_token=first.next_page_token),
            metadata=api.metadata,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in field_violations(caught.value)


async def test_every_method_needs_a_listings_read_token(api: ListingApi) -> None:
    service = pb.DESCRIPTOR.services_by_name["ListingService"]
    listing_scopes = {
        path: scope
        for path, scope in METHOD_SCOPES.items()
        if path.startswith(f"/{service.full_name}/")
    }
    assert set(listing_scopes.values()) == {"listings:read"}
    assert len(listing_scopes) == len(service.methods)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.GetListing(pb.GetListingRequest(name="listings/L1"))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_an_already_expired_deadline_is_deadline_exceeded(api: ListingApi) -> None:
    seed(api.sessions, *(make_listing(f"K{i:03}") for i in range(20)))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListings(
            pb.ListListingsRequest(page_size=20), metadata=api.metadata, timeout=0.000_001
        )
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.postgres
async def test_statement_timeout_follows_the_deadline_on_postgres(pg_engine: Engine) -> None:
    engine = make_async_engine(pg_engine.url.render_as_string(hide_password=False))
    sessions = async_session_factory(engine)
    try:
        async with sessions() as session:
            async with read_only_transaction(session, 1.5):
                timeout = await session.execute(text("SHOW statement_timeout"))
                assert timeout.scalar_one() == "1500ms"
                read_only = await session.execute(text("SHOW transaction_read_only"))
                assert read_only.scalar_one() == "on"
            # SET LOCAL: the next transaction is back to the server default.
            assert (await session.execute(text("SHOW statement_timeout"))).scalar_one() == "0"
        async with sessions() as session, read_only_transaction(session, None):
            # No deadline, no bound (and no transaction round trips).
            assert (await session.execute(text("SHOW statement_timeout"))).scalar_one() == "0"
        async with sessions() as session, read_only_transaction(session, 0.05):
            with pytest.raises(DBAPIError) as caught:
                await session.execute(text("SELECT pg_sleep(5)"))
            # The servicers answer this one with DEADLINE_EXCEEDED, never UNAVAILABLE.
            assert is_statement_timeout(caught.value)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_cancelling_the_handler_cancels_the_query_on_postgres(pg_engine: Engine) -> None:
    # grpc.aio cancels the handler's task when the RPC is cancelled or its deadline passes;
    # psycopg then cancels the running statement on the server instead of letting it finish.
    engine = make_async_engine(pg_engine.url.render_as_string(hide_password=False))
    sessions = async_session_factory(engine)
    try:

        async def slow_query() -> None:
            async with sessions() as session:
                await session.execute(text("SELECT pg_sleep(30) /* cancel-probe */"))

        async def probe_running() -> int:
            async with sessions() as session:
                query = text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                    " AND query LIKE '%cancel-probe */' AND pid <> pg_backend_pid()"
                )
                return int((await session.execute(query)).scalar_one())

        async def wait_for_running(expected: int) -> None:
            for _ in range(1000):  # polls the server; bounded, not timed
                if await probe_running() == expected:
                    return
                await asyncio.sleep(0.02)
            raise AssertionError(f"never saw {expected} running probe queries")

        task = asyncio.create_task(slow_query())
        await wait_for_running(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_for_running(0)
    finally:
        await engine.dispose()
