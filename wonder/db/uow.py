"""Unit of work: the one place a transaction is committed.

Repositories and services receive a ``Session`` and never commit; the edge (a flow, a CLI command,
a servicer) opens a unit of work and commits once, so a page of data and the cursor covering it
land together or not at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session; commit if the block succeeds, roll back if it raises."""
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@asynccontextmanager
async def cancel_safe_session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """An async session whose close survives the caller's cancellation.

    A server cancels a call's task when the deadline passes; a cancellation landing in the
    close (the pool's rollback) would discard the connection and log an error. The close runs
    shielded, so the connection goes back to the pool clean while the cancellation carries on.
    """
    session = sessions()
    try:
        yield session
    finally:
        await asyncio.shield(session.close())
