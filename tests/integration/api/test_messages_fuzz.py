"""Fuzz MessageService requests over loopback gRPC on both databases (hypothesis): names, filters
over the message fields, order_by, page sizes and tokens, views, cursors, label edits and raw
protobuf bodies. A caller's mistake is never a server fault: no INTERNAL, UNKNOWN, UNAVAILABLE or
DEADLINE_EXCEEDED. ModifyMessageLabels talks to a real Gmail sandbox (a mailbox synced from it),
which stays up: an UNAVAILABLE there would be ours."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import grpc.aio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.grpc_fixtures import StartServer
from tests.integration.api.conftest import api_settings
from tests.integration.api.fuzz_requests import (
    FUZZ,
    STREAM_READ_SECONDS,
    any_text,
    int32s,
    int64s,
    page_sizes,
)
from tests.integration.mail.mail_rig import sync
from wonder.auth.store import create_token
from wonder.db.models import MailMessage
from wonder.db.uow import unit_of_work
from wonder.mail.process import process_messages
from wonder.settings import GmailSettings
from wonder.v1 import message_service_pb2 as pb
from wonder.v1 import message_service_pb2_grpc

SERVICE = pb.DESCRIPTOR.services_by_name["MessageService"]
FAULTS = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}
MAILBOX = "agent@wonderstreet.example"
RAW = b"From: a@b.example\r\nSubject: hi\r\nDate: Wed, 1 May 2024 12:00:00 +0000\r\n\r\nhello\r\n"


@dataclass
class MessageFuzz:
    stub: message_service_pb2_grpc.MessageServiceAsyncStub
    channel: grpc.aio.Channel
    metadata: tuple[tuple[str, str], ...]
    gmail_ids: list[str]


@pytest.fixture
async def mfuzz(
    sessions: sessionmaker[Session],
    database_url: str,
    start_grpc_server: StartServer,
    gmail: GmailRig,
) -> AsyncIterator[MessageFuzz]:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        session.add_all(
            MailMessage(
                mailbox=MAILBOX,
                gmail_id=f"m{i}",
                thread_id=f"t{i % 2}",
                history_id=i,
                internal_date=now,
                label_ids=["INBOX"],
                size_estimate=len(RAW),
                raw_zlib=zlib.compress(RAW),
                raw_sha256="0" * 64,
                fetched_at=now,
            )
            for i in range(3)
        )
        token = create_token(session, "fuzz", "messages:read messages:label", now).token
    sync(sessions, gmail, MAILBOX)
    process_messages(sessions, clock=lambda: now)
    gmail_settings = GmailSettings(base_url=gmail.base_url, mailboxes=(MAILBOX,))
    running = await start_grpc_server(
        api_settings(database_url).model_copy(update={"gmail": gmail_settings})
    )
    channel = grpc.aio.insecure_channel(running.target)
    yield MessageFuzz(
        message_service_pb2_grpc.MessageServiceStub(channel),
        channel,
        (("authorization", f"Bearer {token}"),),
        sorted(gmail.sandbox.state.mailboxes[MAILBOX].messages)[:3],
    )
    await channel.close()


def no_fault(error: grpc.aio.AioRpcError, what: object) -> None:
    assert error.code() not in FAULTS, (what, error.code(), error.details())


async def unary(fuzz: MessageFuzz, method: str, request: Any) -> None:
    try:
        await getattr(fuzz.stub, method)(request, metadata=fuzz.metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        no_fault(error, (method, request, error.code(), error.details()))


segments = st.one_of(any_text, st.sampled_from([MAILBOX, "m1", "t0", "1", "", "a/b"]))
names = st.one_of(
    any_text,
    st.builds(lambda a, b: f"mailboxes/{a}/messages/{b}", segments, segments),
    st.builds(lambda a, b: f"mailboxes/{a}/threads/{b}", segments, segments),
    st.builds(
        lambda a, b, c: f"mailboxes/{a}/messages/{b}/attachments/{c}", segments, segments, segments
    ),
)
fields = st.sampled_from(
    ["mailbox", "label", "sender", "contact", "listing", "thread", "internal_time",
     "sent_time", "has_attachment", "id", "colour"]
)  # fmt: skip
operators = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
values = st.one_of(
    any_text.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(['"true"', '"2024-05-01T00:00:00Z"', '"9999-12-31T23:59:59-05:00"', "1e400"]),
    st.integers().map(str),
)
comparisons = st.builds(lambda f, o, v: f"{f} {o} {v}", fields, operators, values)
filters = st.one_of(
    any_text,
    comparisons,
    st.lists(comparisons, min_size=2, max_size=4).map(" AND ".join),
    st.lists(comparisons, min_size=2, max_size=4).map(lambda c: "NOT (" + " OR ".join(c) + ")"),
)
order_bys = st.one_of(st.sampled_from(["", "internal_time", "internal_time desc"]), any_text)


@settings(FUZZ, max_examples=40)
@given(name=names, view=int32s)
async def test_get_requests(mfuzz: MessageFuzz, name: str, view: int) -> None:
    await unary(mfuzz, "GetMessage", pb.GetMessageRequest(name=name, view=view))  # type: ignore[arg-type]
    await unary(mfuzz, "GetThread", pb.GetThreadRequest(name=name))
    await unary(mfuzz, "GetAttachment", pb.GetAttachmentRequest(name=name))


@settings(FUZZ, max_examples=120)
@given(
    filter_=filters,
    order_by=order_bys,
    page_size=page_sizes,
    page_token=st.one_of(st.just(""), any_text),
    view=int32s,
)
async def test_list_requests(
    mfuzz: MessageFuzz, filter_: str, order_by: str, page_size: int, page_token: str, view: int
) -> None:
    request = pb.ListMessagesRequest(
        filter=filter_,
        order_by=order_by,
        page_size=page_size,
        page_token=page_token,
        view=view,  # type: ignore[arg-type]
    )
    await unary(mfuzz, "ListMessages", request)
    threads = pb.ListThreadsRequest(filter=filter_, page_size=page_size, page_token=page_token)
    await unary(mfuzz, "ListThreads", threads)


known_labels = st.sampled_from(
    ["INBOX", "STARRED", "UNREAD", "SPAM", "TRASH", "IMPORTANT", "Label_1", "Label_404", "x"]
)
label_ids = st.lists(st.one_of(known_labels, any_text), max_size=4)
edits = st.lists(known_labels, max_size=3)


@settings(FUZZ, max_examples=30)
@given(name=names, add=label_ids, remove=label_ids)
async def test_label_requests(
    mfuzz: MessageFuzz, name: str, add: list[str], remove: list[str]
) -> None:
    request = pb.ModifyMessageLabelsRequest(name=name, add_label_ids=add, remove_label_ids=remove)
    await unary(mfuzz, "ModifyMessageLabels", request)


@settings(FUZZ, max_examples=30)
@given(target=st.integers(0, 2), add=edits, remove=edits)
async def test_label_edits_of_stored_messages(
    mfuzz: MessageFuzz, target: int, add: list[str], remove: list[str]
) -> None:
    """Edits that reach Gmail: known and unknown labels on messages it has."""
    name = f"mailboxes/{MAILBOX}/messages/{mfuzz.gmail_ids[target]}"
    request = pb.ModifyMessageLabelsRequest(name=name, add_label_ids=add, remove_label_ids=remove)
    await unary(mfuzz, "ModifyMessageLabels", request)


@settings(FUZZ, max_examples=20)
@given(cursor=int64s, mailbox=st.one_of(st.just(""), any_text))
async def test_stream_requests(mfuzz: MessageFuzz, cursor: int, mailbox: str) -> None:
    call = mfuzz.stub.StreamMessageChanges(
        pb.StreamMessageChangesRequest(start_cursor=cursor, mailbox=mailbox),
        metadata=mfuzz.metadata,
        timeout=10,
    )
    await read_briefly(call, (cursor, mailbox))


async def read_briefly(call: Any, what: object) -> None:
    """The first message or status within a moment (an idle feed sends nothing), then cancel."""
    try:
        await asyncio.wait_for(call.read(), STREAM_READ_SECONDS)
    except TimeoutError:
        pass
    except grpc.aio.AioRpcError as error:
        no_fault(error, (what, error.code(), error.details()))
    call.cancel()


@settings(FUZZ, max_examples=40)
@given(method=st.sampled_from([m.name for m in SERVICE.methods]), payload=st.binary(max_size=256))
async def test_raw_bodies(mfuzz: MessageFuzz, method: str, payload: bytes) -> None:
    path = f"/{SERVICE.full_name}/{method}"
    try:
        if SERVICE.methods_by_name[method].server_streaming:
            stream: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = mfuzz.channel.unary_stream(
                path
            )
            await read_briefly(stream(payload, metadata=mfuzz.metadata, timeout=10), method)
        else:
            call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = mfuzz.channel.unary_unary(path)
            await call(payload, metadata=mfuzz.metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        no_fault(error, (method, payload, error.code(), error.details()))
