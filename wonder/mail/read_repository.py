"""The message API's reads (async, one read-only connection): messages, their links and
attachments, threads, the change feed; and the WHERE clause of a message filter.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Text, and_, cast, exists, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from wonder.aip.fields import SortValue
from wonder.aip.filtering import And, CompareOp, Comparison, FilterExpr, Not, Or
from wonder.aip.ordering import OrderKey
from wonder.db.filter_sql import FilterColumns, compile_filter
from wonder.db.keyset import SortColumn, after_position, order_clauses
from wonder.db.models import MailAttachment, MailLink, MailMessage, MailMessageChange
from wonder.errors import InvalidArgument, echo
from wonder.mail.catalogue import CONTACT, HAS_ATTACHMENT, LABEL, LISTING, SENDER

_COLUMNS = FilterColumns(MailMessage)
_M = MailMessage


class MessageRecord(NamedTuple):
    id: int
    mailbox: str
    gmail_id: str
    thread_id: str
    history_id: int
    internal_date: datetime
    label_ids: list[str]
    size_estimate: int
    fetched_at: datetime
    deleted_at: datetime | None
    subject: str | None
    from_address: str | None
    sent_at: datetime | None
    has_attachments: bool | None
    defects: list[str] | None
    parsed_at: datetime | None


class LinkRecord(NamedTuple):
    message_id: int
    role: str
    kind: str
    target_kind: str
    target_key: str
    method: str
    confidence: float
    evidence: str | None


class AttachmentRecord(NamedTuple):
    message_id: int
    part: str
    filename: str | None
    content_type: str
    size: int
    content_id: str | None
    disposition: str


class ThreadRecord(NamedTuple):
    mailbox: str
    thread_id: str
    message_count: int
    last_internal_date: datetime


class ChangeRecord(NamedTuple):
    seq: int
    mailbox: str
    gmail_id: str
    kind: str
    changed_at: datetime


_MESSAGE_COLUMNS = tuple(getattr(_M, name) for name in MessageRecord._fields)
_LINK_COLUMNS = tuple(getattr(MailLink, name) for name in LinkRecord._fields)
_ATTACHMENT_COLUMNS = tuple(getattr(MailAttachment, name) for name in AttachmentRecord._fields)
THREAD_ORDER = (SortColumn(_M.mailbox), SortColumn(_M.thread_id))
ATTACHMENT_ORDER = (SortColumn(MailAttachment.part),)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _link_exists(kind: str, target_kind: str, key: str) -> ColumnElement[bool]:
    return exists().where(
        MailLink.message_id == _M.id,
        MailLink.kind == kind,
        MailLink.target_kind == target_kind,
        MailLink.target_key == key,
    )


def _special(spec_name: str, op: CompareOp, value: str) -> ColumnElement[bool]:
    if op not in (CompareOp.EQ, CompareOp.NE):
        raise InvalidArgument("filter", f"{spec_name} takes = or != only")
    condition: ColumnElement[bool]
    if spec_name == LABEL.name:
        # label_ids is a JSON array of strings: its text holds the label as a JSON string.
        pattern = f"%{_like_escape(json.dumps(value))}%"
        condition = cast(_M.label_ids, Text).like(pattern, escape="\\")
    elif spec_name == LISTING.name:
        condition = _link_exists("listing", "listing", value)
    elif spec_name == CONTACT.name:
        source, _, key = value.partition("/")
        if not source or not key:
            raise InvalidArgument(
                "filter",
                f"contact takes '{{source}}/{{key}}' (e.g. buildium_tenant/17), got {echo(value)}",
            )
        condition = _link_exists("contact", source, key)
    else:  # has_attachment
        condition = _M.has_attachments.is_(value == "true")
    return condition if op is CompareOp.EQ else not_(condition)


def compile_message_filter(expr: FilterExpr | None) -> ColumnElement[bool]:
    match expr:
        case None:
            return true()
        case Comparison(spec, op, value) if spec.name in (
            LABEL.name,
            LISTING.name,
            CONTACT.name,
            HAS_ATTACHMENT.name,
        ):
            return _special(spec.name, op, str(value))
        case Comparison(spec, op, value) if spec.name == SENDER.name:
            return compile_filter(Comparison(spec, op, str(value).lower()), _COLUMNS)
        case Comparison():
            return compile_filter(expr, _COLUMNS)
        case And(operands):
            return and_(*(compile_message_filter(o) for o in operands))
        case Or(operands):
            return or_(*(compile_message_filter(o) for o in operands))
        case Not(operand):
            return not_(compile_message_filter(operand))
    raise AssertionError(f"no SQL for filter term {expr!r}")  # pragma: no cover


def message_sort_columns(order: Sequence[OrderKey]) -> list[SortColumn]:
    return [SortColumn(getattr(_M, k.field.column), k.descending, k.field.nullable) for k in order]


class MessageReadRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _rows(self, query: Any) -> Sequence[Any]:
        return (await self._connection.execute(query)).all()

    async def message(self, mailbox: str, gmail_id: str) -> MessageRecord | None:
        query = select(*_MESSAGE_COLUMNS).where(_M.mailbox == mailbox, _M.gmail_id == gmail_id)
        rows = await self._rows(query)
        return MessageRecord._make(rows[0]) if rows else None

    async def raw(self, message_id: int) -> bytes:
        rows = await self._rows(select(_M.raw_zlib).where(_M.id == message_id))
        return zlib.decompress(rows[0][0])

    async def list_messages(
        self,
        *,
        where: ColumnElement[bool],
        order: Sequence[OrderKey],
        after: Sequence[SortValue] | None,
        limit: int,
        show_deleted: bool,
    ) -> list[MessageRecord]:
        columns = message_sort_columns(order)
        query = select(*_MESSAGE_COLUMNS).where(where)
        if not show_deleted:
            query = query.where(_M.deleted_at.is_(None))
        if after is not None:
            query = query.where(after_position(columns, after))
        query = query.order_by(*order_clauses(columns)).limit(limit)
        return [MessageRecord._make(row) for row in await self._rows(query)]

    async def thread_messages(self, mailbox: str, thread_id: str) -> list[MessageRecord]:
        query = (
            select(*_MESSAGE_COLUMNS)
            .where(_M.mailbox == mailbox, _M.thread_id == thread_id)
            .order_by(_M.internal_date, _M.id)
        )
        return [MessageRecord._make(row) for row in await self._rows(query)]

    async def list_threads(
        self, *, where: ColumnElement[bool], after: Sequence[SortValue] | None, limit: int
    ) -> list[ThreadRecord]:
        query = select(
            _M.mailbox,
            _M.thread_id,
            func.count().label("message_count"),
            func.max(_M.internal_date).label("last_internal_date"),
        ).where(where, _M.deleted_at.is_(None))
        if after is not None:
            query = query.where(after_position(THREAD_ORDER, after))
        query = query.group_by(_M.mailbox, _M.thread_id)
        query = query.order_by(*order_clauses(THREAD_ORDER)).limit(limit)
        return [ThreadRecord._make(row) for row in await self._rows(query)]

    async def links_of(self, message_ids: Sequence[int]) -> dict[int, list[LinkRecord]]:
        found: dict[int, list[LinkRecord]] = {i: [] for i in message_ids}
        if message_ids:
            query = (
                select(*_LINK_COLUMNS)
                .where(MailLink.message_id.in_(list(message_ids)))
                .order_by(MailLink.message_id, MailLink.id)
            )
            for row in await self._rows(query):
                found[row.message_id].append(LinkRecord._make(row))
        return found

    async def attachments_of(self, message_ids: Sequence[int]) -> dict[int, list[AttachmentRecord]]:
        found: dict[int, list[AttachmentRecord]] = {i: [] for i in message_ids}
        if message_ids:
            query = (
                select(*_ATTACHMENT_COLUMNS)
                .where(MailAttachment.message_id.in_(list(message_ids)))
                .order_by(MailAttachment.message_id, MailAttachment.part)
            )
            for row in await self._rows(query):
                found[row.message_id].append(AttachmentRecord._make(row))
        return found

    async def changes_after(
        self, cursor: int, limit: int, mailbox: str | None = None
    ) -> list[ChangeRecord]:
        c = MailMessageChange
        query = select(c.seq, c.mailbox, c.gmail_id, c.kind, c.changed_at).where(c.seq > cursor)
        if mailbox:
            query = query.where(c.mailbox == mailbox)
        query = query.order_by(c.seq).limit(limit)
        return [ChangeRecord._make(row) for row in await self._rows(query)]

    async def messages_by_ids(
        self, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], MessageRecord]:
        found: dict[tuple[str, str], MessageRecord] = {}
        for mailbox in sorted({m for m, _ in pairs}):
            ids = sorted({g for m, g in pairs if m == mailbox})
            query = select(*_MESSAGE_COLUMNS).where(_M.mailbox == mailbox, _M.gmail_id.in_(ids))
            for row in await self._rows(query):
                record = MessageRecord._make(row)
                found[(record.mailbox, record.gmail_id)] = record
        return found
