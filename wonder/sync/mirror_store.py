"""The Buildium mirror on SQL (both dialects): how a planned page, ledger or delete is written.

Every function writes in the caller's session and never commits; :func:`sql_units` opens one
transaction per block (``wonder.db.uow``), so a page and the cursor covering it land together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from wonder.db.bulk import chunks, upsert
from wonder.db.models import (
    BuildiumGLAccount,
    BuildiumLease,
    BuildiumLeaseTenant,
    BuildiumLeaseTransaction,
    BuildiumLeaseTransactionLine,
    BuildiumOwner,
    BuildiumOwnerRental,
    BuildiumRental,
    BuildiumTenant,
    BuildiumUnit,
)
from wonder.db.uow import unit_of_work
from wonder.ingest import held_deletes
from wonder.ingest.runs import RunRecord, record_run
from wonder.ingest.session_state import IngestStateOnSession
from wonder.sync.mirror_plan import StoredState
from wonder.sync.ports import MirrorUnits, Resource
from wonder.sync.records import Lease, LeaseTransaction, Owner, Record, record_hash

MODELS: dict[Resource, Any] = {
    Resource.RENTALS: BuildiumRental,
    Resource.UNITS: BuildiumUnit,
    Resource.OWNERS: BuildiumOwner,
    Resource.TENANTS: BuildiumTenant,
    Resource.LEASES: BuildiumLease,
    Resource.GL_ACCOUNTS: BuildiumGLAccount,
    Resource.LEASE_TRANSACTIONS: BuildiumLeaseTransaction,
}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def record_row(record: Record, table: Table, now: datetime) -> dict[str, Any]:
    """The typed columns of ``record`` that ``table`` has, plus the mirror bookkeeping."""
    row = {f.name: getattr(record, f.name) for f in fields(record) if f.name in table.c}
    row.update(content_hash=record_hash(record), first_seen_at=now, last_seen_at=now)
    row["deleted_at"] = None
    return row


def load_states(session: Session, resource: Resource, ids: Iterable[int]) -> dict[int, StoredState]:
    model = MODELS[resource]
    states: dict[int, StoredState] = {}
    for chunk in chunks(sorted(set(ids))):
        rows = session.execute(
            select(model.id, model.content_hash, model.deleted_at).where(model.id.in_(chunk))
        )
        states.update({i: StoredState(h, d is not None) for i, h, d in rows})
    return states


def write_records(
    session: Session, resource: Resource, records: Sequence[Record], now: datetime
) -> None:
    """Upsert records (first_seen_at kept); a lease's tenants and an owner's properties are
    replaced with it, and a written lease has its ledger marked for a re-read."""
    if not records:
        return
    table = _table(MODELS[resource])
    rows = [record_row(record, table, now) for record in records]
    if resource is Resource.LEASES:
        for row in rows:
            row["ledger_pending"] = True
    upsert(session, table, rows, conflict=["id"], keep=["first_seen_at"])
    ids = [record.id for record in records]
    if resource is Resource.LEASES:
        _replace_children(
            session,
            BuildiumLeaseTenant,
            "lease_id",
            ids,
            [
                {"lease_id": r.id, **{f.name: getattr(t, f.name) for f in fields(t)}}
                for r in records
                if isinstance(r, Lease)
                for t in r.tenants
            ],
        )
    elif resource is Resource.OWNERS:
        _replace_children(
            session,
            BuildiumOwnerRental,
            "owner_id",
            ids,
            [
                {"owner_id": r.id, "rental_id": p}
                for r in records
                if isinstance(r, Owner)
                for p in r.property_ids
            ],
        )


def _replace_children(
    session: Session, model: Any, parent: str, ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    column = getattr(model, parent)
    for chunk in chunks(list(ids)):
        session.execute(delete(model).where(column.in_(chunk)))
    if rows:
        session.execute(_table(model).insert(), rows)


def live_ids(session: Session, resource: Resource) -> list[int]:
    model = MODELS[resource]
    return list(session.scalars(select(model.id).where(model.deleted_at.is_(None))))


def soft_delete(session: Session, resource: Resource, ids: Sequence[int], now: datetime) -> int:
    model, deleted = MODELS[resource], 0
    for chunk in chunks(sorted(set(ids))):
        result = session.execute(
            update(model)
            .where(model.id.in_(chunk), model.deleted_at.is_(None))
            .values(deleted_at=now)
        )
        deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


def pending_ledgers(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(BuildiumLease.id)
            .where(BuildiumLease.ledger_pending.is_(True), BuildiumLease.deleted_at.is_(None))
            .order_by(BuildiumLease.id)
        )
    )


def mark_ledgers_pending(session: Session, lease_ids: Sequence[int]) -> None:
    for chunk in chunks(sorted(set(lease_ids))):
        session.execute(
            update(BuildiumLease).where(BuildiumLease.id.in_(chunk)).values(ledger_pending=True)
        )


def load_ledger_states(session: Session, lease_id: int) -> dict[int, StoredState]:
    t = BuildiumLeaseTransaction
    rows = session.execute(select(t.id, t.content_hash, t.deleted_at).where(t.lease_id == lease_id))
    return {i: StoredState(h, d is not None) for i, h, d in rows}


def write_ledger(
    session: Session,
    lease_id: int,
    writes: Sequence[LeaseTransaction],
    deletes: Sequence[int],
    now: datetime,
) -> None:
    """Store a re-read ledger: changed transactions with their lines, voided ones soft-deleted,
    and the lease's ledger marked read."""
    if writes:
        table = _table(BuildiumLeaseTransaction)
        rows = [record_row(t, table, now) for t in writes]
        upsert(session, table, rows, conflict=["id"], keep=["first_seen_at"])
        lines = [
            {
                "transaction_id": t.id,
                "line_number": number,
                "lease_id": lease_id,
                **{f.name: getattr(line, f.name) for f in fields(line)},
            }
            for t in writes
            for number, line in enumerate(t.lines)
        ]
        _replace_children(
            session, BuildiumLeaseTransactionLine, "transaction_id", [t.id for t in writes], lines
        )
    soft_delete(session, Resource.LEASE_TRANSACTIONS, deletes, now)
    session.execute(
        update(BuildiumLease)
        .where(BuildiumLease.id == lease_id)
        .values(ledger_pending=False, ledger_read_at=now)
    )


def apply_held_delete(session: Session, held_id: int, now: datetime) -> int:
    """Apply an operator-approved held delete of mirrored records (NotFound, FailedPrecondition)."""
    held = held_deletes.pending(session, held_id)
    resource = Resource(held.resource.removeprefix("buildium:"))

    def delete_keys(session: Session, keys: list[str], now: datetime) -> int:
        return soft_delete(session, resource, [int(k) for k in keys], now)

    return held_deletes.apply(session, held_id, delete_keys, now)


class SqlMirrorStore(IngestStateOnSession):
    """:class:`~wonder.sync.ports.MirrorStore` over one SQLAlchemy session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load_states(self, resource: Resource, ids: Iterable[int]) -> dict[int, StoredState]:
        return load_states(self.session, resource, ids)

    def write_records(self, resource: Resource, records: Sequence[Record], now: datetime) -> None:
        write_records(self.session, resource, records, now)

    def live_ids(self, resource: Resource) -> list[int]:
        return live_ids(self.session, resource)

    def soft_delete(self, resource: Resource, ids: Sequence[int], now: datetime) -> int:
        return soft_delete(self.session, resource, ids, now)

    def pending_ledgers(self) -> list[int]:
        return pending_ledgers(self.session)

    def mark_ledgers_pending(self, lease_ids: Sequence[int]) -> None:
        mark_ledgers_pending(self.session, lease_ids)

    def load_ledger_states(self, lease_id: int) -> dict[int, StoredState]:
        return load_ledger_states(self.session, lease_id)

    def write_ledger(
        self,
        lease_id: int,
        writes: Sequence[LeaseTransaction],
        deletes: Sequence[int],
        now: datetime,
    ) -> None:
        write_ledger(self.session, lease_id, writes, deletes, now)

    def record_run(self, run: RunRecord) -> None:
        record_run(self.session, run)


def sql_units(sessions: sessionmaker[Session]) -> MirrorUnits:
    """Units of work on ``sessions``: each block is one transaction, committed at its end."""

    @contextmanager
    def unit() -> Iterator[SqlMirrorStore]:
        with unit_of_work(sessions) as session:
            yield SqlMirrorStore(session)

    return unit
