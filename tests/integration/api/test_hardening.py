"""Regression tests for what a careless or hostile caller did to the server (over real gRPC)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable
from datetime import UTC, datetime

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.api.conftest import (
    ListingApi,
    MakeApi,
    add_change,
    field_violations,
    make_listing,
    resource_infos,
    seed,
)
from tests.integration.grpc_platform.serve_process import start_serve
from wonder.auth.store import create_token
from wonder.db.uow import unit_of_work
from wonder.v1 import listing_pb2, listing_service_pb2_grpc
from wonder.v1 import listing_service_pb2 as pb


async def drain(call: object, pause: float = 0.0) -> None:
    async for _ in call:  # type: ignore[attr-defined]
        if pause:
            await asyncio.sleep(pause)


def seed_changes(sessions: sessionmaker[Session], count: int) -> None:
    seed(sessions, *(make_listing(f"K{i:04}") for i in range(count)))
    for i in range(count):
        add_change(sessions, f"K{i:04}")


async def test_cancelled_streams_never_crash_the_server_process(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    """The server runs in its own process: a segfault in cygrpc (context.peer() after the client
    cancelled a stream) would kill it, as it did on every try before the fix."""
    seed_changes(sessions, 1500)
    with unit_of_work(sessions) as session:
        token = create_token(session, "crash-test", "listings:read", datetime.now(UTC)).token
    served = await start_serve(database_url)
    process, port = served.process, served.port
    try:
        metadata = (("authorization", f"Bearer {token}"),)
        request = pb.StreamListingChangesRequest(start_cursor=0)
        target = f"127.0.0.1:{port}"
        for attempt in range(30):
            channel = grpc.aio.insecure_channel(target)
            stub = listing_service_pb2_grpc.ListingServiceStub(channel)
            if attempt % 3 == 2:
                # A deadline that passes mid-backlog.
                call = stub.StreamListingChanges(request, metadata=metadata, timeout=0.05)
                with pytest.raises(grpc.aio.AioRpcError):
                    await drain(call, pause=0.01)
            else:
                call = stub.StreamListingChanges(request, metadata=metadata)
                await anext(call.__aiter__())
                if attempt % 3 == 0:
                    call.cancel()  # read one message, cancel
                # else: the channel closes mid-stream
            await channel.close()
            await asyncio.sleep(0.05)
        # Open health streams (no token needed) closed abruptly too.
        for _ in range(5):
            channel = grpc.aio.insecure_channel(target)
            watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
            await anext(watch.__aiter__())
            await channel.close()
        await asyncio.sleep(0.5)
        assert process.returncode is None, f"the server died (exit {process.returncode})"
        async with grpc.aio.insecure_channel(target) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def test_a_reader_that_never_reads_is_ended_with_resource_exhausted(
    make_api: MakeApi,
) -> None:
    api = await make_api(stream_write_timeout_seconds=0.5, change_stream_batch_size=200)
    seed_changes(api.sessions, 1500)
    # Without BDP probing the client's window stays at 64 KiB, so flow control stops the
    # server long before the backlog ends.
    async with grpc.aio.insecure_channel(api.target, options=[("grpc.http2.bdp_probe", 0)]) as ch:
        call = listing_service_pb2_grpc.ListingServiceStub(ch).StreamListingChanges(
            pb.StreamListingChangesRequest(start_cursor=0, view=listing_pb2.LISTING_VIEW_FULL),
            metadata=api.metadata,
        )
        await asyncio.sleep(3)  # read nothing while the server tries to send
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await asyncio.wait_for(drain(call), 30)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "took no message" in (caught.value.details() or "")
    assert api.server.streams.open_streams == 0


async def test_a_stream_idle_between_changes_outlives_the_write_timeout(
    make_api: MakeApi,
) -> None:
    """Only a write the reader does not take counts: an idle change feed (the stream polling,
    nothing to send) is not a stalled reader, however long it stays idle."""
    api = await make_api(stream_write_timeout_seconds=0.3, change_stream_poll_seconds=0.05)
    seed_changes(api.sessions, 1)
    call = api.stub.StreamListingChanges(
        pb.StreamListingChangesRequest(start_cursor=0), metadata=api.metadata
    )
    first = await anext(call.__aiter__())
    await asyncio.sleep(1.0)  # several write timeouts with nothing to send
    seed(api.sessions, make_listing("K9999"))
    add_change(api.sessions, "K9999")
    second = await asyncio.wait_for(anext(call.__aiter__()), 10)
    assert (first.listing_name, second.listing_name) == ("listings/K0000", "listings/K9999")
    call.cancel()


async def test_open_streams_are_capped_per_consumer_and_per_server(make_api: MakeApi) -> None:
    api = await make_api(max_streams_per_consumer=2, max_streams=3)
    seed_changes(api.sessions, 3)
    request = pb.StreamListingChangesRequest(start_cursor=0)

    async def opened() -> grpc.aio.UnaryStreamCall[object, object]:
        call = api.stub.StreamListingChanges(request, metadata=api.metadata)
        await anext(call.__aiter__())
        return call  # type: ignore[return-value]

    first, second = await opened(), await opened()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await opened()
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "per consumer" in (caught.value.details() or "")
    # Another consumer still gets one; then the server is full for everybody.
    with unit_of_work(api.sessions) as session:
        other = create_token(session, "other", "listings:read", datetime.now(UTC)).token
    other_md = (("authorization", f"Bearer {other}"),)
    third = api.stub.StreamListingChanges(request, metadata=other_md)
    await anext(third.__aiter__())
    fourth = api.stub.StreamListingChanges(request, metadata=other_md)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await anext(fourth.__aiter__())
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "open streams" in (caught.value.details() or "")
    # Closing one frees its slot.
    first.cancel()
    await asyncio.sleep(0.3)
    again = await opened()
    for call in (second, third, again):
        call.cancel()


@pytest.mark.parametrize(
    "text",
    [
        "NOT " * 190 + "bedrooms_total = 3",
        "NOT " * 45 + "bedrooms_total = 3",
        "(" * 40 + "city = 'x'" + ")" * 40,
        'modification_time >= "0001-01-01T00:00:00+00:01"',
        'update_time < "9999-12-31T23:59:59-00:01"',
        "list_price > 100000000000000000000000000",
        "list_price > 12345678901234567",
        "living_area > 1e999",
        'city = "a\x00b"',
    ],
)
async def test_caller_mistakes_in_filters_are_invalid_argument(api: ListingApi, text: str) -> None:
    seed(api.sessions, make_listing("K1"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListings(
            pb.ListListingsRequest(filter=text), metadata=api.metadata, timeout=10
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "filter" in field_violations(caught.value)


async def test_an_undecodable_body_is_invalid_argument_with_one_log_line(
    api: ListingApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    raw: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = api.channel.unary_unary(
        "/wonder.v1.ListingService/GetListing"
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\xff\xff\xff\xff", metadata=api.metadata, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "undecodable" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


async def test_oversized_fields_are_refused_with_a_short_message(api: ListingApi) -> None:
    calls: list[Awaitable[object]] = [
        api.stub.GetListing(
            pb.GetListingRequest(name="listings/" + "k" * 7000), metadata=api.metadata, timeout=10
        ),
        *(
            api.stub.ListListings(request, metadata=api.metadata, timeout=10)
            for request in (
                pb.ListListingsRequest(order_by="list_price," * 2000),
                pb.ListListingsRequest(order_by="x" * 3000),
                pb.ListListingsRequest(filter="city = '" + "y" * 3000 + "'"),
            )
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert len(caught.value.details() or "") <= 1000


async def test_batch_get_of_many_missing_names_is_not_found(api: ListingApi) -> None:
    names = [f"listings/missing-{i:04}-" + "z" * 50 for i in range(1000)]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.BatchGetListings(
            pb.BatchGetListingsRequest(names=names), metadata=api.metadata, timeout=30
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "and 990 more" in (caught.value.details() or "")
    assert len(resource_infos(caught.value)) == 10


async def test_expired_calls_are_logged_as_deadline_exceeded(
    api: ListingApi, caplog: pytest.LogCaptureFixture
) -> None:
    seed(api.sessions, *(make_listing(f"K{i:03}") for i in range(300)))
    caplog.set_level(logging.INFO, logger="wonder.grpc.access")
    client_codes = []
    for ms in range(1, 40, 3):
        call = api.stub.ListListings(
            pb.ListListingsRequest(page_size=1000, view=listing_pb2.LISTING_VIEW_FULL),
            metadata=api.metadata,
            timeout=ms / 1000,
        )
        with contextlib.suppress(grpc.aio.AioRpcError):
            await call
        client_codes.append(await call.code())
    await asyncio.sleep(0.3)
    assert set(client_codes) <= {grpc.StatusCode.OK, grpc.StatusCode.DEADLINE_EXCEEDED}
    assert grpc.StatusCode.DEADLINE_EXCEEDED in client_codes
    codes = [
        m.group(1) for r in caplog.records if (m := re.search(r" code=(\w+) ", r.getMessage()))
    ]
    # A call can also finish on the server just as the client gives up: logged OK, not wrong.
    assert "DEADLINE_EXCEEDED" in codes
    assert "UNKNOWN" not in codes
    assert "CANCELLED" not in codes
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
