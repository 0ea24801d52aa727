"""StreamListingChanges: backlog in order, then live changes; resume from a cursor exactly."""

from __future__ import annotations

import grpc
import grpc.aio
import pytest

from tests.integration.api.conftest import (
    ListingApi,
    MakeApi,
    add_change,
    field_violations,
    make_listing,
    seed,
)
from wonder.v1 import listing_pb2, listing_service_pb2

pb = listing_service_pb2
UPSERT = pb.ListingChange.KIND_UPSERT
DELETE = pb.ListingChange.KIND_DELETE


Stream = grpc.aio.UnaryStreamCall[pb.StreamListingChangesRequest, pb.ListingChange]


def open_stream(
    api: ListingApi,
    start_cursor: int = 0,
    timeout: float = 30,
    view: listing_pb2.ListingView.ValueType = listing_pb2.LISTING_VIEW_UNSPECIFIED,
) -> Stream:
    request = pb.StreamListingChangesRequest(start_cursor=start_cursor, view=view)
    return api.stub.StreamListingChanges(request, metadata=api.metadata, timeout=timeout)


async def next_change(stream: Stream) -> pb.ListingChange:
    message = await stream.read()
    assert isinstance(message, pb.ListingChange)
    return message


async def test_backlog_then_live_changes_then_resume(api: ListingApi) -> None:
    seed(api.sessions, make_listing("L1", city="Austin"), make_listing("L2"))
    add_change(api.sessions, "L1")
    add_change(api.sessions, "L2")
    add_change(api.sessions, "L1", kind="delete")

    stream = open_stream(api)
    backlog = [await next_change(stream) for _ in range(3)]
    assert [(c.cursor, c.kind, c.listing_name) for c in backlog] == [
        (1, UPSERT, "listings/L1"),
        (2, UPSERT, "listings/L2"),
        (3, DELETE, "listings/L1"),
    ]
    assert backlog[0].listing.city == "Austin"
    assert backlog[0].listing.public_remarks == ""  # BASIC by default
    assert not backlog[2].HasField("listing")
    assert backlog[0].HasField("change_time")

    # A change committed while the stream is open arrives on it.
    seed(api.sessions, make_listing("L3"))
    add_change(api.sessions, "L3")
    live = await next_change(stream)
    assert (live.cursor, live.kind, live.listing.listing_key) == (4, UPSERT, "L3")
    stream.cancel()

    # Reconnecting with the last cursor processed: nothing missed, nothing twice.
    resumed = open_stream(api, start_cursor=2)
    assert [(await next_change(resumed)).cursor for _ in range(2)] == [3, 4]
    add_change(api.sessions, "L2")
    assert (await next_change(resumed)).cursor == 5
    resumed.cancel()


async def test_full_view_on_the_stream(api: ListingApi) -> None:
    seed(api.sessions, make_listing("L1", public_remarks="Pool."))
    add_change(api.sessions, "L1")
    stream = open_stream(api, view=listing_pb2.LISTING_VIEW_FULL)
    assert (await next_change(stream)).listing.public_remarks == "Pool."
    stream.cancel()


async def test_a_gap_is_held_until_the_late_change_commits(api: ListingApi) -> None:
    # seq 3 is allocated by a transaction that commits after 4 (concurrent writers).
    seed(api.sessions, make_listing("L1"))
    for seq in (1, 2, 4):
        add_change(api.sessions, "L1", seq=seq)
    stream = open_stream(api)
    assert [(await next_change(stream)).cursor for _ in range(2)] == [1, 2]
    add_change(api.sessions, "L1", seq=3)
    # 4 was held back behind the gap, so 3 is not lost.
    assert [(await next_change(stream)).cursor for _ in range(2)] == [3, 4]
    stream.cancel()


async def test_a_gap_that_never_fills_is_skipped_after_the_grace_period(make_api: MakeApi) -> None:
    api = await make_api(change_stream_gap_grace_seconds=0.2)
    seed(api.sessions, make_listing("L1"))
    for seq in (1, 3):
        add_change(api.sessions, "L1", seq=seq)
    stream = open_stream(api)
    assert [(await next_change(stream)).cursor for _ in range(2)] == [1, 3]
    stream.cancel()


async def test_the_stream_ends_with_the_callers_deadline(api: ListingApi) -> None:
    seed(api.sessions, make_listing("L1"))
    add_change(api.sessions, "L1")
    stream = open_stream(api, timeout=1.0)
    assert (await next_change(stream)).cursor == 1
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream.read()
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_negative_cursor_is_invalid(api: ListingApi) -> None:
    stream = open_stream(api, start_cursor=-1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start_cursor" in field_violations(caught.value)
