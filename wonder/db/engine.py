"""Engines and sessions for PostgreSQL (psycopg 3) and SQLite (the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for our use of each dialect.

    SQLite gets WAL (readers do not block the writer), enforced foreign keys and a busy timeout,
    and its parent folder is created so a fresh checkout just works.
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def sessions_like(session: Session) -> sessionmaker[Session]:
    """Sessions on the same engine as ``session`` (for work that commits units of its own,
    e.g. an inbox handler given the drain's session)."""
    bind = session.get_bind()
    return session_factory(bind.engine if isinstance(bind, Connection) else bind)


def normalize_async_url(url: str) -> str:
    """The async twin of a URL: psycopg 3 serves both; SQLite goes through aiosqlite."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def make_async_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, **kwargs: Any
) -> AsyncEngine:
    """An asyncio engine (used by the gRPC server) with the same per-dialect setup.

    (The server's hottest reads take raw psycopg connections from ``wonder.db.read_pool``
    instead, which behaves the same way on a dropped connection.) No pre-ping on checkout: it
    would cost a round trip on every call to spare one error per database outage. Without it
    a call that meets a connection the server has dropped fails with a disconnect error, which
    the server answers UNAVAILABLE (retryable), and SQLAlchemy then invalidates the whole pool
    so the next calls connect afresh; the health probe (``SELECT 1`` every few seconds, on its
    own engine) does not repair the request pool.
    """
    url = normalize_async_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", False)
    # Bounded age, so connections cut by idle-timeout middleboxes are replaced quietly.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow, **kwargs)


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
