"""Held deletes: what a census wanted to delete beyond the mass-delete guard, until an operator
applies or rejects it. How a slice deletes is its own (``apply``); the bookkeeping is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wonder.db.models import HeldDelete, HeldDeleteStatus
from wonder.errors import FailedPrecondition, NotFound


def hold_deletes(
    session: Session, resource: str, keys: Sequence[str], stored_count: int, now: datetime
) -> int:
    """A held delete for these keys; an identical one still awaiting approval is reused."""
    wanted = sorted(keys)
    for held in session.scalars(
        select(HeldDelete).where(
            HeldDelete.resource == resource, HeldDelete.status == HeldDeleteStatus.HELD
        )
    ):
        if sorted(held.keys) == wanted:
            return held.id
    row = HeldDelete(
        resource=resource,
        keys=wanted,
        stored_count=stored_count,
        created_at=now,
        status=HeldDeleteStatus.HELD,
    )
    session.add(row)
    session.flush()
    return row.id


def get_held_delete(session: Session, held_id: int) -> HeldDelete | None:
    return session.get(HeldDelete, held_id)


def list_held_deletes(
    session: Session, *, status: HeldDeleteStatus | None = None
) -> list[HeldDelete]:
    stmt = select(HeldDelete).order_by(HeldDelete.id)
    if status:
        stmt = stmt.where(HeldDelete.status == status)
    return list(session.scalars(stmt))


def pending(session: Session, held_id: int) -> HeldDelete:
    """The held delete ``held_id`` if it still awaits a decision (NotFound, FailedPrecondition)."""
    held = get_held_delete(session, held_id)
    if held is None:
        raise NotFound("held delete", [f"#{held_id}"])
    if held.status is not HeldDeleteStatus.HELD:
        raise FailedPrecondition(f"held delete #{held_id}", f"already {held.status}")
    return held


def apply(
    session: Session,
    held_id: int,
    delete: Callable[[Session, list[str], datetime], int],
    now: datetime,
) -> int:
    """Run ``delete`` on the held keys and mark the hold applied; returns what it deleted."""
    held = pending(session, held_id)
    deleted = delete(session, list(held.keys), now)
    held.status, held.decided_at = HeldDeleteStatus.APPLIED, now
    return deleted


def reject(session: Session, held_id: int, now: datetime) -> int:
    """Discard a hold (nothing is deleted); returns the number of keys it held."""
    held = pending(session, held_id)
    held.status, held.decided_at = HeldDeleteStatus.REJECTED, now
    return len(held.keys)
