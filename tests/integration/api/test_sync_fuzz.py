"""Fuzz SyncService requests over loopback gRPC on both databases (hypothesis): names, filters
over each list's fields, order_by, scopes, page sizes and tokens, dead-letter replays and raw
protobuf bodies, on a mirrored portfolio with runs, a reconciliation and a dead letter. A
caller's mistake is never a server fault: no INTERNAL, UNKNOWN, UNAVAILABLE or DEADLINE_EXCEEDED.
"""

from __future__ import annotations

from typing import Any

import grpc
import grpc.aio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.buildium_mirror_fixtures import FakeBuildium
from tests.integration.api.fuzz_requests import (
    FUZZ,
    JOINS,
    any_text,
    any_values,
    comparisons,
    expressions,
    int32s,
    ops,
    page_sizes,
)
from tests.integration.api.sync_support import T0, SyncApi, add_inbox_event, sync_api
from tests.integration.api.test_sync_service import mirror
from wonder.v1 import sync_service_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["SyncService"]
FAULTS = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}

__all__ = ["sync_api"]


@pytest.fixture
async def sfuzz(sync_api: SyncApi, engine: Engine) -> SyncApi:
    mirror(sync_api.sessions, FakeBuildium.seeded())
    add_inbox_event(engine, 1, "dead", last_error="poison", dead_at=T0)
    add_inbox_event(engine, 2, "pending")
    return sync_api


def no_fault(error: grpc.aio.AioRpcError, what: object) -> None:
    assert error.code() not in FAULTS, (what, error.code(), error.details())


async def unary(api: SyncApi, method: str, request: Any, *, write: bool = False) -> None:
    try:
        await api.call(method, request, write=write)
    except grpc.aio.AioRpcError as error:
        no_fault(error, (method, request))


segments = st.one_of(any_text, st.sampled_from(["9001", "0", "-1", "", "a/b", "99999999999"]))
names = st.one_of(
    any_text,
    st.sampled_from(["syncState", "balanceSheet", "deadLetters/1"]),
    st.builds(lambda a: f"leases/{a}", segments),
    st.builds(lambda a: f"deadLetters/{a}", segments),
)
# The request fuzz's filter builders over SyncService's fields (and two it does not have).
SYNC_FIELDS = [
    "pipeline", "resource", "status", "start_time", "finish_time", "days_delinquent",
    "property_id", "unit_id", "balance", "outstanding", "deposits_held", "rent",
    "last_update_time", "colour", "id",
]  # fmt: skip
sync_values = st.one_of(
    any_values,
    st.sampled_from(['"Active"', '"failed"', '"buildium:leases"', "1575.35", "-0.001"]),
)
atoms = comparisons(SYNC_FIELDS, sync_values, st.one_of(ops, st.sampled_from([":", "=="])))
filters = st.one_of(st.just(""), expressions(atoms, JOINS), any_text)
order_bys = st.one_of(
    st.sampled_from(["", "finish_time desc", "outstanding desc", "rent", "entity_id"]), any_text
)
tokens = st.one_of(st.just(""), any_text)


@settings(FUZZ, max_examples=40)
@given(name=names)
async def test_get_and_replay_requests(sfuzz: SyncApi, name: str) -> None:
    await unary(sfuzz, "GetSyncState", pb.GetSyncStateRequest(name=name))
    await unary(sfuzz, "GetBalanceSheet", pb.GetBalanceSheetRequest(name=name))
    await unary(sfuzz, "GetLease", pb.GetLeaseRequest(name=name))
    await unary(sfuzz, "ListLedgerEntries", pb.ListLedgerEntriesRequest(parent=name))
    await unary(sfuzz, "ReplayDeadLetter", pb.ReplayDeadLetterRequest(name=name), write=True)


@settings(FUZZ, max_examples=120)
@given(filter_=filters, order_by=order_bys, page_size=page_sizes, page_token=tokens, scope=int32s)
async def test_list_requests(
    sfuzz: SyncApi, filter_: str, order_by: str, page_size: int, page_token: str, scope: int
) -> None:
    await unary(
        sfuzz,
        "ListSyncRuns",
        pb.ListSyncRunsRequest(
            filter=filter_, order_by=order_by, page_size=page_size, page_token=page_token
        ),
    )
    await unary(
        sfuzz,
        "ListLeases",
        pb.ListLeasesRequest(
            filter=filter_,
            order_by=order_by,
            page_size=page_size,
            page_token=page_token,
            show_deleted=scope % 2 == 0,
        ),
    )
    rows = pb.ListBalanceSheetRowsRequest(
        scope=scope,  # type: ignore[arg-type]
        filter=filter_,
        order_by=order_by,
        page_size=page_size,
        page_token=page_token,
    )
    await unary(sfuzz, "ListBalanceSheetRows", rows)
    await unary(
        sfuzz,
        "ListDeadLetters",
        pb.ListDeadLettersRequest(source=filter_, page_size=page_size, page_token=page_token),
    )


@settings(FUZZ, max_examples=40)
@given(method=st.sampled_from([m.name for m in SERVICE.methods]), payload=st.binary(max_size=256))
async def test_raw_bodies(sfuzz: SyncApi, method: str, payload: bytes) -> None:
    path = f"/{SERVICE.full_name}/{method}"
    call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = sfuzz.api.channel.unary_unary(path)
    write = SERVICE.methods_by_name[method].name == "ReplayDeadLetter"
    metadata = sfuzz.write_metadata if write else sfuzz.metadata
    try:
        await call(payload, metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        no_fault(error, (method, payload))
