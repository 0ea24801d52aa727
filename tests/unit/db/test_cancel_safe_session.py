"""A cancelled caller still returns its connection to the pool cleanly."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import QueuePool

from wonder.db.engine import async_session_factory, make_async_engine
from wonder.db.uow import cancel_safe_session


async def test_a_cancellation_during_close_lets_the_close_finish(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_async_engine(f"sqlite:///{tmp_path / 'x.db'}")
    sessions = async_session_factory(engine)
    closing = asyncio.Event()
    closed = asyncio.Event()
    real_close = AsyncSession.close

    async def slow_close(self: AsyncSession) -> None:
        closing.set()
        await asyncio.sleep(0.05)  # the cancellation arrives in here
        await real_close(self)
        closed.set()

    monkeypatch.setattr(AsyncSession, "close", slow_close)

    async def call() -> None:
        async with cancel_safe_session(sessions) as session:
            await session.execute(text("SELECT 1"))

    task = asyncio.create_task(call())
    await closing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(closed.wait(), 5)
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await engine.dispose()
