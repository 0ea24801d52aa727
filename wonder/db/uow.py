"""Unit of work: the one place a transaction is committed.

Repositories and services receive a ``Session`` and never commit; the edge (a flow, a CLI command,
a servicer) opens a unit of work and commits once, so a page of data and the cursor covering it
land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
