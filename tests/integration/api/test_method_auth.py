"""Every RPC of every registered wonder.v1 service refuses a caller without the right token.

Each method is called over the wire with no token, an unknown token, a revoked token and a token
whose scopes lack the one the method needs; and once with the right scope, which must get past
auth (any status but UNAUTHENTICATED / PERMISSION_DENIED). A method added to a service without
a request here fails ``test_every_method_has_a_request``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import grpc
import grpc.aio
import pytest
from google.protobuf.message import Message

from grpc_server.servicers import METHOD_SCOPES
from tests.integration.api.conftest import ListingApi, make_listing, seed
from wonder.auth.scopes import KNOWN_SCOPES
from wonder.auth.store import create_token, revoke_token
from wonder.db.uow import unit_of_work
from wonder.v1 import listing_service_pb2 as pb
from wonder.v1 import message_service_pb2 as mpb
from wonder.v1 import sync_pb2
from wonder.v1 import sync_service_pb2 as sync_pb

# A well-formed request per method: "/package.Service/Method" -> request.
REQUESTS: dict[str, Callable[[], Message]] = {
    "/wonder.v1.ListingService/GetListing": lambda: pb.GetListingRequest(name="listings/K1"),
    "/wonder.v1.ListingService/BatchGetListings": lambda: pb.BatchGetListingsRequest(
        names=["listings/K1"]
    ),
    "/wonder.v1.ListingService/ListListings": lambda: pb.ListListingsRequest(),
    "/wonder.v1.ListingService/ListListingMedia": lambda: pb.ListListingMediaRequest(
        parent="listings/K1"
    ),
    "/wonder.v1.ListingService/ListListingHistory": lambda: pb.ListListingHistoryRequest(
        parent="listings/K1"
    ),
    "/wonder.v1.ListingService/GetAgent": lambda: pb.GetAgentRequest(name="agents/A1"),
    "/wonder.v1.ListingService/GetOffice": lambda: pb.GetOfficeRequest(name="offices/O1"),
    "/wonder.v1.ListingService/StreamListingChanges": lambda: pb.StreamListingChangesRequest(),
    "/wonder.v1.SyncService/GetSyncState": lambda: sync_pb.GetSyncStateRequest(name="syncState"),
    "/wonder.v1.SyncService/ListSyncRuns": lambda: sync_pb.ListSyncRunsRequest(),
    "/wonder.v1.SyncService/ListDeadLetters": lambda: sync_pb.ListDeadLettersRequest(),
    "/wonder.v1.SyncService/ReplayDeadLetter": lambda: sync_pb.ReplayDeadLetterRequest(
        name="deadLetters/1"
    ),
    "/wonder.v1.SyncService/GetBalanceSheet": lambda: sync_pb.GetBalanceSheetRequest(
        name="balanceSheet"
    ),
    "/wonder.v1.SyncService/ListBalanceSheetRows": lambda: sync_pb.ListBalanceSheetRowsRequest(
        scope=sync_pb2.BALANCE_SCOPE_LEASE
    ),
    "/wonder.v1.SyncService/GetLease": lambda: sync_pb.GetLeaseRequest(name="leases/1"),
    "/wonder.v1.SyncService/ListLeases": lambda: sync_pb.ListLeasesRequest(),
    "/wonder.v1.SyncService/ListLedgerEntries": lambda: sync_pb.ListLedgerEntriesRequest(
        parent="leases/1"
    ),
    "/wonder.v1.MessageService/GetMessage": lambda: mpb.GetMessageRequest(
        name="mailboxes/a@b.example/messages/m1"
    ),
    "/wonder.v1.MessageService/ListMessages": lambda: mpb.ListMessagesRequest(),
    "/wonder.v1.MessageService/GetThread": lambda: mpb.GetThreadRequest(
        name="mailboxes/a@b.example/threads/t1"
    ),
    "/wonder.v1.MessageService/ListThreads": lambda: mpb.ListThreadsRequest(),
    "/wonder.v1.MessageService/GetAttachment": lambda: mpb.GetAttachmentRequest(
        name="mailboxes/a@b.example/messages/m1/attachments/2"
    ),
    "/wonder.v1.MessageService/StreamMessageChanges": lambda: mpb.StreamMessageChangesRequest(),
    "/wonder.v1.MessageService/ModifyMessageLabels": lambda: mpb.ModifyMessageLabelsRequest(
        name="mailboxes/a@b.example/messages/m1", add_label_ids=["STARRED"]
    ),
}
STREAMING = {
    "/wonder.v1.ListingService/StreamListingChanges",
    "/wonder.v1.MessageService/StreamMessageChanges",
}
AUTH_CODES = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


def test_every_method_has_a_request() -> None:
    assert set(REQUESTS) == set(METHOD_SCOPES)


async def status_of(
    api: ListingApi, method: str, metadata: tuple[tuple[str, str], ...]
) -> grpc.StatusCode:
    body = REQUESTS[method]().SerializeToString()
    try:
        if method in STREAMING:
            stream: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = api.channel.unary_stream(
                method
            )
            call = stream(body, metadata=metadata, timeout=1.0)
            async for _ in call:
                break
            call.cancel()
            return grpc.StatusCode.OK
        unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = api.channel.unary_unary(method)
        await unary(body, metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@pytest.mark.parametrize("method", sorted(METHOD_SCOPES))
async def test_each_method_checks_the_token_and_its_scope(api: ListingApi, method: str) -> None:
    seed(api.sessions, make_listing("K1"))
    now = datetime.now(UTC)
    required = METHOD_SCOPES[method]
    with unit_of_work(api.sessions) as session:
        others = " ".join(sorted(KNOWN_SCOPES - {required}))
        lacking = create_token(session, "lacking", others, now).token
        revoked = create_token(session, "revoked", required, now).token
        allowed = create_token(session, "allowed", required, now).token
    with unit_of_work(api.sessions) as session:
        revoke_token(session, "revoked", now)

    assert await status_of(api, method, ()) == grpc.StatusCode.UNAUTHENTICATED
    assert await status_of(api, method, bearer("ws_unknown")) == grpc.StatusCode.UNAUTHENTICATED
    assert await status_of(api, method, bearer(revoked)) == grpc.StatusCode.UNAUTHENTICATED
    assert await status_of(api, method, bearer(lacking)) == grpc.StatusCode.PERMISSION_DENIED
    assert await status_of(api, method, bearer(allowed)) not in AUTH_CODES
