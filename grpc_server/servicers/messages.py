"""wonder.v1.MessageService: parse the request, query, map. Reads live in wonder.mail.

Errors are raised, never handled here: the error-mapping interceptor turns them into statuses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from grpc_server.call_info import remaining_seconds
from grpc_server.deps import ServerDeps
from grpc_server.mappers import messages as mappers
from grpc_server.reads import pager, read_only
from grpc_server.registry import ServiceRegistration
from grpc_server.status import Context
from wonder.aip.filtering import canonical_filter, parse_filter
from wonder.aip.ordering import canonical_order_by, parse_order_by
from wonder.db.change_feed import GapGate
from wonder.db.keyset import position_of
from wonder.db.uow import cancel_safe_session
from wonder.errors import FailedPrecondition, InvalidArgument, NotFound
from wonder.mail.catalogue import MESSAGES, THREAD_POSITION
from wonder.mail.labels import GmailLabels, check_edit
from wonder.mail.parse import parse_message
from wonder.mail.read_repository import (
    THREAD_ORDER,
    MessageReadRepository,
    MessageRecord,
    ThreadRecord,
    compile_message_filter,
    message_sort_columns,
)
from wonder.mail.store import record_modified_labels
from wonder.v1 import message_pb2, message_service_pb2, message_service_pb2_grpc

SERVICE = message_service_pb2.DESCRIPTOR.services_by_name["MessageService"]
_VIEWS = (
    message_pb2.MESSAGE_VIEW_UNSPECIFIED,
    message_pb2.MESSAGE_VIEW_HEADERS,
    message_pb2.MESSAGE_VIEW_TEXT,
    message_pb2.MESSAGE_VIEW_RAW,
)
_MESSAGE = ("mailboxes", "messages")
_THREAD = ("mailboxes", "threads")
_ATTACHMENT = ("mailboxes", "messages", "attachments")


def _view(view: int) -> int:
    if view not in _VIEWS:
        raise InvalidArgument("view", f"unknown view {view}")
    return view or message_pb2.MESSAGE_VIEW_HEADERS


class MessageServicer(message_service_pb2_grpc.MessageServiceServicer):
    def __init__(self, deps: ServerDeps) -> None:
        self._deps = deps
        self._settings = deps.settings.grpc
        self._pager = pager(deps, SERVICE.full_name)
        self._stream_slots = asyncio.Semaphore(max(1, self._settings.database_pool_size // 2))
        self._labels = GmailLabels(deps.settings.gmail)

    @asynccontextmanager
    async def _repository(self, context: Context) -> AsyncIterator[MessageReadRepository]:
        async with read_only(self._deps, context) as connection:
            yield MessageReadRepository(connection)

    async def _render(
        self, repo: MessageReadRepository, rows: Sequence[MessageRecord], view: int
    ) -> list[message_pb2.Message]:
        ids = [row.id for row in rows]
        links = await repo.links_of(ids)
        attachments = await repo.attachments_of(ids)
        raws = (
            {row.id: await repo.raw(row.id) for row in rows}
            if view != message_pb2.MESSAGE_VIEW_HEADERS
            else {}
        )
        rendered = []
        for row in rows:
            message = mappers.message_to_proto(row, links[row.id], attachments[row.id])
            if view == message_pb2.MESSAGE_VIEW_RAW:
                message.raw = raws[row.id]
            elif view == message_pb2.MESSAGE_VIEW_TEXT:
                parsed = parse_message(raws[row.id], thread_id=row.thread_id)
                message.text, message.new_text = parsed.text, parsed.new_text
            rendered.append(message)
        return rendered

    async def GetMessage(
        self, request: message_service_pb2.GetMessageRequest, context: Context
    ) -> message_pb2.Message:
        mailbox, gmail_id = mappers.parse_name(request.name, _MESSAGE)
        view = _view(request.view)
        async with self._repository(context) as repo:
            row = await repo.message(mailbox, gmail_id)
            if row is None:
                raise NotFound("wonder.v1.Message", [request.name])
            return (await self._render(repo, [row], view))[0]

    async def ListMessages(
        self, request: message_service_pb2.ListMessagesRequest, context: Context
    ) -> message_service_pb2.ListMessagesResponse:
        expr = parse_filter(request.filter, MESSAGES)
        order = parse_order_by(request.order_by, MESSAGES)
        view = _view(request.view)
        cursor = self._pager.start(
            "ListMessages",
            request.page_size,
            request.page_token,
            [key.field for key in order],
            filter=canonical_filter(expr),
            order_by=canonical_order_by(order),
            view=view,
            show_deleted=request.show_deleted,
        )
        async with self._repository(context) as repo:
            rows = await repo.list_messages(
                where=compile_message_filter(expr),
                order=order,
                after=cursor.after,
                limit=cursor.fetch_limit,
                show_deleted=request.show_deleted,
            )
            columns = message_sort_columns(order)
            page, token = cursor.finish(rows, lambda row: position_of(row, columns))
            rendered = await self._render(repo, page, view)
        return message_service_pb2.ListMessagesResponse(messages=rendered, next_page_token=token)

    async def GetThread(
        self, request: message_service_pb2.GetThreadRequest, context: Context
    ) -> message_pb2.Thread:
        mailbox, thread_id = mappers.parse_name(request.name, _THREAD)
        async with self._repository(context) as repo:
            rows = await repo.thread_messages(mailbox, thread_id)
            if not rows:
                raise NotFound("wonder.v1.Thread", [request.name])
            rendered = await self._render(repo, rows, message_pb2.MESSAGE_VIEW_HEADERS)
        summary = ThreadRecord(
            mailbox, thread_id, len(rows), max(row.internal_date for row in rows)
        )
        return mappers.thread_to_proto(summary, rendered)

    async def ListThreads(
        self, request: message_service_pb2.ListThreadsRequest, context: Context
    ) -> message_service_pb2.ListThreadsResponse:
        expr = parse_filter(request.filter, MESSAGES)
        cursor = self._pager.start(
            "ListThreads",
            request.page_size,
            request.page_token,
            THREAD_POSITION,
            filter=canonical_filter(expr),
        )
        async with self._repository(context) as repo:
            rows = await repo.list_threads(
                where=compile_message_filter(expr), after=cursor.after, limit=cursor.fetch_limit
            )
        page, token = cursor.finish(rows, lambda row: position_of(row, THREAD_ORDER))
        return message_service_pb2.ListThreadsResponse(
            threads=[mappers.thread_to_proto(row) for row in page], next_page_token=token
        )

    async def GetAttachment(
        self, request: message_service_pb2.GetAttachmentRequest, context: Context
    ) -> message_pb2.Attachment:
        mailbox, gmail_id, part = mappers.parse_name(request.name, _ATTACHMENT)
        async with self._repository(context) as repo:
            row = await repo.message(mailbox, gmail_id)
            found = (await repo.attachments_of([row.id]))[row.id] if row is not None else []
        for attachment in found:
            if attachment.part == part:
                return mappers.attachment_to_proto(mailbox, gmail_id, attachment)
        raise NotFound("wonder.v1.Attachment", [request.name])

    async def ModifyMessageLabels(
        self, request: message_service_pb2.ModifyMessageLabelsRequest, context: Context
    ) -> message_pb2.Message:
        deadline = remaining_seconds(context)  # read at the start (see call_info)
        mailbox, gmail_id = mappers.parse_name(request.name, _MESSAGE)
        edit = check_edit(list(request.add_label_ids), list(request.remove_label_ids))
        async with self._repository(context) as repo:
            if await repo.message(mailbox, gmail_id) is None:
                raise NotFound("wonder.v1.Message", [request.name])
        if self._labels.mailbox(mailbox) is None:
            raise FailedPrecondition(request.name, "the server does not manage this mailbox")
        # Gmail first (blocking httplib2, in a worker thread), then the stored copy.
        modified = await asyncio.to_thread(
            self._labels.modify, mailbox, gmail_id, edit, request.name, deadline
        )
        now = self._deps.clock()
        async with cancel_safe_session(self._deps.sessions) as session:
            await session.run_sync(
                lambda sync: record_modified_labels(
                    sync, mailbox, gmail_id, modified.label_ids, modified.history_id, now
                )
            )
            await session.commit()
        async with self._repository(context) as repo:
            row = await repo.message(mailbox, gmail_id)
            if row is None:  # pragma: no cover - stored rows are never deleted
                raise NotFound("wonder.v1.Message", [request.name])
            return (await self._render(repo, [row], message_pb2.MESSAGE_VIEW_HEADERS))[0]

    async def StreamMessageChanges(
        self, request: message_service_pb2.StreamMessageChangesRequest, context: Context
    ) -> AsyncIterator[message_pb2.MessageChange]:
        if request.start_cursor < 0:
            raise InvalidArgument("start_cursor", "must not be negative")
        batch_size = self._settings.change_stream_batch_size
        gate = GapGate(self._settings.change_stream_gap_grace_seconds)
        cursor = request.start_cursor
        while True:
            # As StreamListingChanges: one short transaction per poll, under a stream slot.
            # The gate runs over every mailbox's rows (the seq is global); a mailbox filter
            # then drops the others without holding the cursor back.
            async with self._stream_slots, self._repository(context) as repo:
                fetched = await repo.changes_after(cursor, batch_size)
                ready = fetched[
                    : gate.releasable(
                        cursor, fetched, now=self._deps.clock(), monotonic=time.monotonic()
                    )
                ]
                wanted = [r for r in ready if not request.mailbox or r.mailbox == request.mailbox]
                rows = await repo.messages_by_ids([(r.mailbox, r.gmail_id) for r in wanted])
                rendered = await self._render(
                    repo, list(rows.values()), message_pb2.MESSAGE_VIEW_HEADERS
                )
            by_key = {(m.mailbox, m.gmail_id): m for m in rendered}
            for row in ready:
                if row in wanted:
                    yield mappers.change_to_proto(row, by_key.get((row.mailbox, row.gmail_id)))
                cursor = row.seq
            if len(ready) < batch_size:
                await asyncio.sleep(self._settings.change_stream_poll_seconds)


REGISTRATION = ServiceRegistration(
    descriptor=SERVICE,
    factory=MessageServicer,
    add_to_server=message_service_pb2_grpc.add_MessageServiceServicer_to_server,
)
