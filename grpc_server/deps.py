"""What the gRPC server and its servicers are given: built once at the edge (`wonder serve`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from wonder.db.engine import async_session_factory, make_async_engine
from wonder.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServerDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerDeps:
        engine = make_async_engine(
            settings.database_url,
            pool_size=settings.grpc.database_pool_size,
            max_overflow=settings.grpc.database_max_overflow,
        )
        return cls(settings=settings, engine=engine, sessions=async_session_factory(engine))

    async def aclose(self) -> None:
        await self.engine.dispose()
