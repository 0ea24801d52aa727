"""What the gRPC server and its servicers are given: built once at the edge (`wonder serve`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from wonder.db.engine import async_session_factory, make_async_engine
from wonder.db.read_pool import ReadPool
from wonder.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServerDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime] = field(default=utc_now)
    # The health probe's own connection: it must never queue behind request traffic for the
    # pool, or a busy server would report its database "unreachable". None: share ``engine``.
    health_engine: AsyncEngine | None = None
    # Raw psycopg connections for the one-round-trip reads: PostgreSQL needs it; on SQLite
    # (None) those reads go through ``engine``.
    read_pool: ReadPool | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerDeps:
        engine = make_async_engine(
            settings.database_url,
            pool_size=settings.grpc.database_pool_size,
            max_overflow=settings.grpc.database_max_overflow,
        )
        health_engine = make_async_engine(
            settings.database_url, pool_size=1, max_overflow=0, pool_pre_ping=True
        )
        read_pool = None
        if engine.dialect.name == "postgresql":
            read_pool = ReadPool(settings.database_url, max_size=settings.grpc.database_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessions=async_session_factory(engine),
            health_engine=health_engine,
            read_pool=read_pool,
        )

    async def aclose(self) -> None:
        await self.engine.dispose()
        if self.read_pool is not None:
            await self.read_pool.aclose()
        if self.health_engine is not None:
            await self.health_engine.dispose()
