"""MessageService over real gRPC (create_server, auth on), on both databases, on a sandbox
mailbox synced and processed: every expected value comes from the Gmail sandbox's state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import grpc.aio
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.grpc_fixtures import StartServer
from tests.integration.api.conftest import api_settings, field_violations, resource_infos
from tests.integration.mail.mail_rig import AGENT, now, seed_directories, sync
from wonder.auth.store import create_token
from wonder.db.uow import unit_of_work
from wonder.mail.process import process_messages
from wonder.sandbox.gmail.config import GmailAdvance, GmailSandboxConfig
from wonder.sandbox.gmail.mailbox import StoredMessage
from wonder.v1 import message_pb2, message_service_pb2, message_service_pb2_grpc

NAME = "mailboxes/{}/messages/{}"


@pytest.fixture
def gmail_config() -> GmailSandboxConfig:
    return GmailSandboxConfig(
        messages_per_mailbox=60, listings=50, frozen_clock=True, profile="fast"
    )


@dataclass
class MessageApi:
    stub: message_service_pb2_grpc.MessageServiceAsyncStub
    metadata: tuple[tuple[str, str], ...]
    gmail: GmailRig
    sessions: sessionmaker[Session]
    tenants: dict[str, int]

    @property
    def box(self) -> dict[str, StoredMessage]:
        return dict(self.gmail.sandbox.state.mailboxes[AGENT].messages)

    @property
    def truth(self) -> dict[str, dict[str, Any]]:
        return self.gmail.sandbox.state.truth()[AGENT]

    async def list_all(self, filter: str = "", page_size: int = 1000, **kw: Any) -> list[str]:
        ids: list[str] = []
        token = ""
        for _ in range(1000):  # bounded: a token that never ends fails, never hangs
            page = await self.stub.ListMessages(
                message_service_pb2.ListMessagesRequest(
                    filter=filter, page_size=page_size, page_token=token, **kw
                ),
                metadata=self.metadata,
            )
            ids += [m.gmail_id for m in page.messages]
            token = page.next_page_token
            if not token:
                return ids
        raise AssertionError("paging did not end")


@pytest.fixture
async def mapi(
    gmail: GmailRig,
    gmail_config: GmailSandboxConfig,
    sessions: sessionmaker[Session],
    database_url: str,
    start_grpc_server: StartServer,
) -> AsyncIterator[MessageApi]:
    truth = gmail.sandbox.state.truth()[AGENT]
    senders = sorted({t["sender"] for t in truth.values() if t["category"] == "tenant"})
    tenants = {email: 500 + i for i, email in enumerate(senders)}
    seed_directories(sessions, gmail_config, tenants)
    sync(sessions, gmail)
    process_messages(sessions, clock=now)
    running = await start_grpc_server(api_settings(database_url))
    with unit_of_work(sessions) as session:
        token = create_token(session, "messages", "messages:read", datetime.now(UTC)).token
    channel = grpc.aio.insecure_channel(running.target)
    yield MessageApi(
        message_service_pb2_grpc.MessageServiceStub(channel),
        (("authorization", f"Bearer {token}"),),
        gmail,
        sessions,
        tenants,
    )
    await channel.close()


def internal(message: StoredMessage) -> datetime:
    return datetime.fromtimestamp(message.internal_date_ms / 1000, tz=UTC)


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def test_each_filter_field_selects_what_the_sandbox_holds(mapi: MessageApi) -> None:
    box, truth = mapi.box, mapi.truth
    assert set(await mapi.list_all()) == set(box)
    assert set(await mapi.list_all(f'mailbox = "{AGENT}"')) == set(box)
    assert await mapi.list_all('mailbox = "nobody@example.com"') == []
    for label in ("INBOX", "UNREAD", "SPAM"):
        expected = {i for i, m in box.items() if label in m.label_ids}
        assert set(await mapi.list_all(f'label = "{label}"')) == expected, label
        assert set(await mapi.list_all(f'label != "{label}"')) == set(box) - expected
    assert await mapi.list_all('label = "NBOX"') == []  # a label, not a part of one
    some = {t["sender"] for t in truth.values()}
    for sender in sorted(some)[:5]:
        expected = {i for i, t in truth.items() if t["sender"] == sender}
        assert set(await mapi.list_all(f'sender = "{sender.upper()}"')) == expected, sender
    for email, tenant_id in list(mapi.tenants.items())[:3]:
        expected = {i for i, t in truth.items() if t["sender"] == email}
        found = await mapi.list_all(f'contact = "buildium_tenant/{tenant_id}"')
        assert set(found) == expected
    keys = sorted({t["listing_key"] for t in truth.values() if "listing_key" in t})
    for key in keys[:5]:
        expected = {i for i, t in truth.items() if t.get("listing_key") == key}
        assert set(await mapi.list_all(f'listing = "{key}"')) == expected, key
    thread = next(iter(box.values())).thread_id
    expected = {i for i, m in box.items() if m.thread_id == thread}
    assert set(await mapi.list_all(f'thread = "{thread}"')) == expected
    times = sorted(internal(m) for m in box.values())
    middle = times[len(times) // 2]
    expected = {i for i, m in box.items() if internal(m) >= middle}
    assert set(await mapi.list_all(f'internal_time >= "{rfc3339(middle)}"')) == expected
    upper = middle + timedelta(days=3)
    expected = {i for i, m in box.items() if middle <= internal(m) < upper}
    both = f'internal_time >= "{rfc3339(middle)}" AND internal_time < "{rfc3339(upper)}"'
    assert set(await mapi.list_all(both)) == expected
    with_files = {i for i, t in truth.items() if t["category"] == "vendor" and "reply_to" not in t}
    assert with_files
    assert set(await mapi.list_all('has_attachment = "true"')) == with_files
    assert set(await mapi.list_all('has_attachment = "false"')) == set(box) - with_files


async def test_pages_are_stable_and_tokens_signed_and_bound(mapi: MessageApi) -> None:
    everything = await mapi.list_all(page_size=1000, order_by="internal_time desc")
    paged = await mapi.list_all(page_size=7, order_by="internal_time desc")
    assert paged == everything
    assert len(set(paged)) == len(mapi.box)
    times = [internal(mapi.box[i]) for i in paged]
    assert times == sorted(times, reverse=True)
    first = await mapi.stub.ListMessages(
        message_service_pb2.ListMessagesRequest(page_size=5), metadata=mapi.metadata
    )
    token = first.next_page_token
    assert token
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for request in (
        message_service_pb2.ListMessagesRequest(page_size=5, page_token=tampered),
        message_service_pb2.ListMessagesRequest(
            page_size=5, page_token=token, filter='label = "SPAM"'
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await mapi.stub.ListMessages(request, metadata=mapi.metadata)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "page_token" in field_violations(error.value)


async def test_views_return_what_they_promise(mapi: MessageApi) -> None:
    gmail_id, stored = next(
        (i, m) for i, m in mapi.box.items() if mapi.truth[i]["category"] == "lead"
    )
    name = NAME.format(AGENT, gmail_id)

    async def get(view: message_pb2.MessageView.ValueType) -> message_pb2.Message:
        request = message_service_pb2.GetMessageRequest(name=name, view=view)
        return await mapi.stub.GetMessage(request, metadata=mapi.metadata)

    headers = await get(message_pb2.MESSAGE_VIEW_HEADERS)
    assert headers.raw == b""
    assert headers.text == ""
    assert headers.thread == f"mailboxes/{AGENT}/threads/{stored.thread_id}"
    assert sorted(headers.label_ids) == sorted(stored.label_ids)
    assert headers.from_address == mapi.truth[gmail_id]["sender"]
    listing_links = [
        x.target for x in headers.links if x.kind == message_pb2.MessageLink.KIND_LISTING
    ]
    assert listing_links == [f"listings/{mapi.truth[gmail_id]['listing_key']}"]
    assert (await get(message_pb2.MESSAGE_VIEW_UNSPECIFIED)) == headers
    raw = await get(message_pb2.MESSAGE_VIEW_RAW)
    assert raw.raw == stored.raw
    assert raw.text == ""
    text = await get(message_pb2.MESSAGE_VIEW_TEXT)
    assert text.raw == b""
    assert "schedule a showing" in text.text


async def test_threads_and_attachments(mapi: MessageApi) -> None:
    box = mapi.box
    threads: dict[str, set[str]] = {}
    for i, m in box.items():
        threads.setdefault(m.thread_id, set()).add(i)
    listed: list[message_pb2.Thread] = []
    token = ""
    for _ in range(len(threads) + 1):
        page = await mapi.stub.ListThreads(
            message_service_pb2.ListThreadsRequest(page_size=4, page_token=token),
            metadata=mapi.metadata,
        )
        listed += page.threads
        token = page.next_page_token
        if not token:
            break
    assert not token, "paging did not end"
    assert [t.name for t in listed] == [f"mailboxes/{AGENT}/threads/{t}" for t in sorted(threads)]
    assert {t.name.rsplit("/", 1)[1]: t.message_count for t in listed} == {
        k: len(v) for k, v in threads.items()
    }
    longest = max(threads, key=lambda k: len(threads[k]))
    thread = await mapi.stub.GetThread(
        message_service_pb2.GetThreadRequest(name=f"mailboxes/{AGENT}/threads/{longest}"),
        metadata=mapi.metadata,
    )
    assert {m.gmail_id for m in thread.messages} == threads[longest]
    vendor = next(
        i for i, t in mapi.truth.items() if t["category"] == "vendor" and "reply_to" not in t
    )
    message = await mapi.stub.GetMessage(
        message_service_pb2.GetMessageRequest(name=NAME.format(AGENT, vendor)),
        metadata=mapi.metadata,
    )
    (attachment,) = message.attachments
    got = await mapi.stub.GetAttachment(
        message_service_pb2.GetAttachmentRequest(name=attachment.name), metadata=mapi.metadata
    )
    assert got == attachment
    assert got.content_type == "application/pdf"
    assert got.filename.startswith("INV-")
    pdf = b"%PDF-1.4\n% sandbox invoice " + got.filename[4:-4].encode() + b"\n%%EOF\n"
    assert got.size_bytes == len(pdf)


async def test_missing_resources_are_not_found(mapi: MessageApi) -> None:
    calls: list[tuple[Callable[..., Any], Any, str]] = [
        (mapi.stub.GetMessage, message_service_pb2.GetMessageRequest, NAME.format(AGENT, "nope")),
        (
            mapi.stub.GetThread,
            message_service_pb2.GetThreadRequest,
            f"mailboxes/{AGENT}/threads/nope",
        ),
        (
            mapi.stub.GetAttachment,
            message_service_pb2.GetAttachmentRequest,
            NAME.format(AGENT, next(iter(mapi.box))) + "/attachments/9",
        ),
    ]
    for method, request, name in calls:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await method(request(name=name), metadata=mapi.metadata)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND, name
        assert [info.resource_name for info in resource_infos(error.value)] == [name]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (message_service_pb2.GetMessageRequest(name="messages/x"), "name"),
        (message_service_pb2.GetMessageRequest(name=f"mailboxes/{AGENT}/messages/"), "name"),
        (message_service_pb2.GetMessageRequest(name=NAME.format(AGENT, "x"), view=9), "view"),  # type: ignore[arg-type]
        (message_service_pb2.ListMessagesRequest(filter='colour = "red"'), "filter"),
        (message_service_pb2.ListMessagesRequest(filter='contact = "17"'), "filter"),
        (message_service_pb2.ListMessagesRequest(filter='label < "INBOX"'), "filter"),
        (message_service_pb2.ListMessagesRequest(filter='has_attachment = "maybe"'), "filter"),
        (message_service_pb2.ListMessagesRequest(filter='internal_time > "yesterday"'), "filter"),
        (message_service_pb2.ListMessagesRequest(order_by="subject"), "order_by"),
        (message_service_pb2.ListMessagesRequest(page_size=-1), "page_size"),
        (message_service_pb2.ListThreadsRequest(page_token="garbage"), "page_token"),
        (message_service_pb2.GetThreadRequest(name="mailboxes/a/threads"), "name"),
        (message_service_pb2.GetAttachmentRequest(name=NAME.format(AGENT, "x")), "name"),
    ],
)
async def test_malformed_requests_are_invalid_argument_naming_the_field(
    mapi: MessageApi, request_: Any, field: str
) -> None:
    method: Callable[..., Any] = {  # type: ignore[assignment]
        "GetMessageRequest": mapi.stub.GetMessage,
        "ListMessagesRequest": mapi.stub.ListMessages,
        "ListThreadsRequest": mapi.stub.ListThreads,
        "GetThreadRequest": mapi.stub.GetThread,
        "GetAttachmentRequest": mapi.stub.GetAttachment,
    }[type(request_).__name__]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await method(request_, metadata=mapi.metadata)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(error.value)


async def read_changes(mapi: MessageApi, start: int, count: int) -> list[message_pb2.MessageChange]:
    call = mapi.stub.StreamMessageChanges(
        message_service_pb2.StreamMessageChangesRequest(start_cursor=start),
        metadata=mapi.metadata,
        timeout=30,
    )
    got: list[message_pb2.MessageChange] = []
    async for change in call:
        got.append(change)
        if len(got) == count:
            break
    call.cancel()
    return got


async def test_the_stream_resumes_from_a_cursor_skipping_and_repeating_nothing(
    mapi: MessageApi,
) -> None:
    box = mapi.box
    total = 2 * len(box)  # each message: stored, then parsed
    first = await read_changes(mapi, 0, 25)
    rest = await read_changes(mapi, first[-1].cursor, total - 25)
    changes = first + rest
    cursors = [c.cursor for c in changes]
    assert cursors == sorted(set(cursors))
    kinds = message_pb2.MessageChange
    stored = [c.message.gmail_id for c in changes if c.kind == kinds.KIND_STORED]
    parsed = [c.message.gmail_id for c in changes if c.kind == kinds.KIND_PARSED]
    assert sorted(stored) == sorted(parsed) == sorted(box)
    # New mail and label changes after the backlog arrive live, once each.
    mapi.gmail.sandbox.apply_advance(GmailAdvance(seconds=5, new_messages=4, label_changes=4))
    sync(mapi.sessions, mapi.gmail)
    new = set(mapi.box) - set(box)
    assert new
    live: list[message_pb2.MessageChange] = []
    while {c.message.gmail_id for c in live if c.kind == kinds.KIND_STORED} != new:
        start = live[-1].cursor if live else cursors[-1]
        live += await read_changes(mapi, start, 1)
    assert live[0].cursor == cursors[-1] + 1 or live[0].cursor > cursors[-1]
    assert [c.cursor for c in live] == sorted({c.cursor for c in live})
    assert {c.kind for c in live} <= {kinds.KIND_STORED, kinds.KIND_LABELS}
