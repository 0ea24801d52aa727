"""The API's read path: one connection whose statements cannot outlive the caller's deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

from wonder.db.read_pool import ReadPool
from wonder.lru import LruCache

_POSTGRES = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]


@asynccontextmanager
async def read_only_transaction(
    session: AsyncSession, timeout_seconds: float | None
) -> AsyncIterator[AsyncConnection]:
    """The session's connection, its statements bounded by the caller's remaining time.

    On PostgreSQL the connection runs in autocommit mode, so the driver sends no BEGIN and no
    ROLLBACK of its own. Without a deadline every statement is its own transaction (READ
    COMMITTED gives each statement its own snapshot anyway). With one, a single round trip opens
    a read-only transaction and bounds its statements (``SET LOCAL statement_timeout``, gone
    with the transaction), and a COMMIT ends it: psycopg drops its prepared statements on every
    ROLLBACK, on COMMIT it keeps them. On failure the session's rollback ends the transaction.
    SQLite has no server to cancel on: a plain transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield await session.connection()
        return
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if timeout_seconds is None:
        yield connection
        return
    # An int, so formatting it into the statement is safe (SET takes no bound parameters).
    milliseconds = max(1, int(timeout_seconds * 1000))
    await connection.exec_driver_sql(
        f"BEGIN READ ONLY; SET LOCAL statement_timeout = {milliseconds}"
    )
    yield connection
    await connection.exec_driver_sql("COMMIT")


Statement = tuple[Select[*tuple[Any, ...]], Mapping[str, Any]]


@lru_cache(maxsize=256)
def _postgres_sql(statement: Select[*tuple[Any, ...]]) -> str:
    """A fixed statement's PostgreSQL text (pyformat placeholders), compiled once."""
    return str(statement.compile(dialect=_POSTGRES))


# Compiled dynamic statements by SQLAlchemy cache key (their shape).
_compiled_dynamic: LruCache[Any, SQLCompiler] = LruCache(512)


def _compiled_for(
    statement: Select[*tuple[Any, ...]],
) -> tuple[SQLCompiler, MutableMapping[str, Any]]:
    """The compiled form of ``statement``'s shape and this statement's own parameter values.

    Compiling costs more than the rest of a ListListings page together (≈ 0.7 ms); requests of
    the same shape (filter structure, order, seek partition) share one compilation, found by
    SQLAlchemy's cache key as its own statement cache does, with this statement's values
    extracted from the key (expanding IN lists are expanded per call, so a list of another
    length shares the shape too).
    """
    cache_key = statement._generate_cache_key()
    if cache_key is None:  # a construct SQLAlchemy cannot cache: compiled alone
        alone = _POSTGRES.statement_compiler(_POSTGRES, statement)
        return alone, alone.construct_params(_no_postcompile=True)
    compiled = _compiled_dynamic.get_or_make(
        cache_key.key,
        lambda: _POSTGRES.statement_compiler(_POSTGRES, statement, cache_key=cache_key),
    )
    params = compiled.construct_params(
        extracted_parameters=cache_key.bindparams, _no_postcompile=True
    )
    return compiled, params


def _postgres_dynamic(statement: Select[*tuple[Any, ...]]) -> tuple[str, dict[str, Any]]:
    """A statement built per request (its values embedded as bound parameters): its text and
    parameters, each converted by its type's bind processor as SQLAlchemy's execute would."""
    compiled, constructed = _compiled_for(statement)
    expanded = compiled._process_parameters_for_postcompile(constructed)
    processors: Mapping[str, Any] = expanded.processors  # what execute applies
    params = dict(expanded.parameters)
    for name, value in params.items():
        processor = processors.get(name)
        if processor is not None:
            if not callable(processor):  # a tuple-typed parameter: not supported here
                raise TypeError(f"cannot bind the parameter {name!r} of a dynamic statement")
            params[name] = processor(value)
    return expanded.statement, params


async def read_in_one_round_trip(
    engine: AsyncEngine,
    timeout_seconds: float | None,
    statements: Sequence[Statement],
    *,
    dynamic: bool = False,
    pool: ReadPool | None = None,
) -> list[list[Sequence[Any]]]:
    """The rows of independent fixed ``statements``, read-only, bounded by the caller's time.

    On PostgreSQL (``pool`` required: raw psycopg connections, :mod:`wonder.db.read_pool`) the
    statement timeout and every statement (prepared) go in one psycopg pipeline: one network
    round trip, no ORM session or SQLAlchemy per-statement work. The pool's connections are
    read-only (``default_transaction_read_only``) and in autocommit, so each statement is its
    own read-only transaction (READ COMMITTED gave each statement its own snapshot inside one
    anyway) and no BEGIN or COMMIT is sent; the timeout is set for the session, by every read
    before its statements (the caller's remaining time, or the database's default without a
    deadline). Rows are the driver's (psycopg's types: Decimal, aware datetimes), so statements
    must not need SQLAlchemy's result processing beyond that, take only the parameters passed
    (no embedded literals), and use ``= ANY(%(keys)s)`` rather than expanding IN. ``dynamic``:
    statements built per request (e.g. from a filter), whose bound values they carry (pass
    empty parameters): compiled once per shape (:func:`_compiled_for`), and prepared by
    psycopg only once the same text recurs, so they never evict the fixed statements.
    Elsewhere (SQLite): each statement in turn, in one transaction, through SQLAlchemy.
    """
    if engine.dialect.name != "postgresql":
        async with engine.connect() as connection, connection.begin():
            return [list((await connection.execute(s, dict(p))).all()) for s, p in statements]
    if pool is None:
        raise ValueError("reads on PostgreSQL take their connections from a ReadPool")
    queries: list[tuple[str, Mapping[str, Any], bool | None]]
    if dynamic:
        queries = [(*_postgres_dynamic(s), None) for s, _ in statements]
    else:
        queries = [(_postgres_sql(s), p, True) for s, p in statements]
    async with pool.connection(timeout_seconds) as driver:
        try:
            return await _pipelined(driver, timeout_seconds, queries)
        except DBAPIError as error:
            if error.connection_invalidated:
                await pool.drop_dead_connections()
            raise


async def _pipelined(
    driver: psycopg.AsyncConnection[Any],
    timeout_seconds: float | None,
    queries: Sequence[tuple[str, Mapping[str, Any], bool | None]],
) -> list[list[Sequence[Any]]]:
    if timeout_seconds is None:
        bound = "SET statement_timeout = DEFAULT"
    else:  # an int, so formatting it into the statement is safe (SET takes no parameters)
        bound = f"SET statement_timeout = {max(1, int(timeout_seconds * 1000))}"
    try:
        async with driver.pipeline():
            await driver.execute(bound)
            cursors = [
                await driver.execute(sql, params, prepare=prepare)
                for sql, params, prepare in queries
            ]
        return [list(await cursor.fetchall()) for cursor in cursors]
    except psycopg.Error as error:
        # The same exception SQLAlchemy would raise, so errors map to statuses as elsewhere.
        disconnected = driver.broken or driver.closed
        raise DBAPIError.instance(
            None, None, error, psycopg.Error, connection_invalidated=disconnected
        ) from error
