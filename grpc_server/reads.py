"""What every read servicer takes from the platform instead of building it: paging and reads.

``pager(deps, service)`` is the one Pager of a service (the API's token secret, lifetime and
page-size limits), and ``read_only(deps, context)`` the one way to read: a connection whose
statements cannot outlive the caller's deadline. A ``List*`` method is then::

    cursor = self._pager.start("ListThings", request.page_size, request.page_token, KEYS)
    async with read_only(self._deps, context) as connection:
        rows = await ThingRepository(connection).list_things(cursor.after, cursor.fetch_limit)
    page, token = cursor.finish(rows, lambda row: position_of(row, ORDER))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from grpc_server.call_info import remaining_seconds
from grpc_server.deps import ServerDeps
from grpc_server.status import Context
from wonder.aip.pagetoken import PageTokenCodec
from wonder.aip.paging import Pager
from wonder.db.read_only import Statement, read_in_one_round_trip, read_only_transaction
from wonder.db.uow import cancel_safe_session


def pager(deps: ServerDeps, service: str) -> Pager:
    """``service``'s page tokens, signed with the server's secret and valid for
    ``page_token_ttl_seconds`` by the server's clock; sizes within the limits."""
    settings = deps.settings.grpc
    secret = settings.page_token_secret.get_secret_value().encode("utf-8")
    codec = PageTokenCodec(
        secret, ttl_seconds=settings.page_token_ttl_seconds, clock=lambda: deps.clock()
    )
    return Pager(
        codec,
        service=service,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )


@asynccontextmanager
async def read_only(deps: ServerDeps, context: Context) -> AsyncIterator[AsyncConnection]:
    """A read-only session's connection, bounded by the caller's remaining time."""
    async with (
        cancel_safe_session(deps.sessions) as session,
        read_only_transaction(session, remaining_seconds(context)) as connection,
    ):
        yield connection


async def read_once(
    deps: ServerDeps, context: Context, statements: Sequence[Statement], *, dynamic: bool = False
) -> list[list[Sequence[Any]]]:
    """Independent statements (fixed, or ``dynamic``: built per request) in one read-only
    transaction and, on PostgreSQL, one round trip, bounded by the caller's remaining time."""
    timeout = remaining_seconds(context)
    return await read_in_one_round_trip(
        deps.engine, timeout, statements, dynamic=dynamic, pool=deps.read_pool
    )


def is_postgres(deps: ServerDeps) -> bool:
    return deps.engine.dialect.name == "postgresql"
