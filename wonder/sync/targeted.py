"""Targeted refreshes: one record, one ledger, the balance sheet, for what a webhook names.

A webhook says only "lease 7 changed" (ids, never the record), may be a duplicate and may come
out of order, so every refresh re-reads Buildium's current state and writes it through the same
plan and store as the full walks: a repeated event writes nothing, a late one cannot undo a
newer state, and a record Buildium answers 404 for is soft-deleted (it is gone *now*, whatever
the event said). Each refresh is its own unit of work, so a crash leaves a state the next
refresh or the scheduled sync completes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from wonder.db.uow import unit_of_work
from wonder.sync import balance_store
from wonder.sync import records as rec
from wonder.sync.mirror_plan import plan_page
from wonder.sync.mirror_service import PARSERS, MirrorReport, refresh_ledgers
from wonder.sync.ports import BuildiumSource, Clock, MirrorUnits, Resource, utc_now


@dataclass
class RefreshReport:
    """What targeted refreshes did (summed over a drain's batches)."""

    fetched: int = 0
    written: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    ledgers_read: int = 0
    ledger_entries_changed: int = 0
    balance_rows_written: int = 0
    touched_leases: set[int] = field(default_factory=set)

    def changes(self) -> int:
        """Mirror rows written or deleted so far: what can move the balance sheet."""
        return self.written + self.deleted + self.ledger_entries_changed

    def counts(self) -> dict[str, int]:
        return {
            "records re-read": self.fetched,
            "records written": self.written,
            "records deleted": self.deleted,
            "ledgers re-read": self.ledgers_read,
            "ledger entries written or removed": self.ledger_entries_changed,
            "balance-sheet rows written": self.balance_rows_written,
        }


def refresh_record(
    source: BuildiumSource,
    units: MirrorUnits,
    resource: Resource,
    record_id: int,
    report: RefreshReport,
    clock: Clock = utc_now,
) -> Mapping[str, Any] | None:
    """Re-read one record and store it (or soft-delete it when Buildium no longer has it); a
    lease's ledger is marked for a re-read either way. The record as Buildium sent it."""
    raw = source.get_record(resource, record_id)
    with units() as store:
        if raw is None:
            report.deleted += store.soft_delete(resource, [record_id], clock())
            return None
        parsed, rejected = rec.parse_all(resource.label, [raw], PARSERS[resource])
        plan = plan_page(parsed, store.load_states(resource, (r.id for r in parsed)))
        store.write_records(resource, plan.writes, clock())
        store.quarantine(rejected, clock())
        if resource is Resource.LEASES:
            store.mark_ledgers_pending([record_id])
            report.touched_leases.add(record_id)
    report.fetched += 1
    report.written += len(plan.writes)
    report.unchanged += plan.unchanged
    report.quarantined += len(rejected)
    return raw


def refresh_lease_ledgers(
    source: BuildiumSource,
    units: MirrorUnits,
    lease_ids: Sequence[int],
    report: RefreshReport,
    clock: Clock = utc_now,
) -> None:
    """Re-read these leases' ledgers (and any other ledger already pending)."""
    mirror = MirrorReport()
    refresh_ledgers(source, units, mirror, lease_ids=lease_ids, clock=clock)
    report.ledgers_read += mirror.ledgers_read
    report.ledger_entries_changed += (
        mirror.ledger_transactions_written + mirror.ledger_transactions_deleted
    )
    report.touched_leases.update(lease_ids)


def refresh_balance_sheet(
    sessions: sessionmaker[Session], as_of: date | None = None, clock: Clock = utc_now
) -> int:
    """Recompute the balance sheet from the mirror and store the rows that changed (unchanged
    rows are not written); the number of rows written."""
    now = clock()
    with unit_of_work(sessions) as session:
        sheet = balance_store.compute_from_mirror(session, as_of or now.date())
        return balance_store.store_balance_sheet(session, sheet, now)
