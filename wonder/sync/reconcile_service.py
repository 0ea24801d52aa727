"""After a sync: compute the PM Balance Sheet, reconcile it with Buildium's outstanding
balances, store both. A lease that differs has its ledger re-read once (a missed webhook or a
ledger change the incremental sync cannot see) and is compared again; what still differs is
stored and reported by lease, never hidden.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from wonder.db.uow import unit_of_work
from wonder.ingest.quarantine import quarantine
from wonder.ingest.runs import RunRecord, record_run
from wonder.sync import balance_store
from wonder.sync.balance_sheet import BalanceSheet
from wonder.sync.mirror_service import MirrorReport, refresh_ledgers
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import BuildiumSource, Clock, utc_now
from wonder.sync.reconcile import Reconciliation, reconcile
from wonder.sync.records import OutstandingBalance, parse_all, parse_outstanding_balance

logger = logging.getLogger("wonder.sync.reconcile")
RESOURCE = "buildium:outstanding_balances"
PIPELINE = "buildium:reconcile"


@dataclass(frozen=True)
class ReconcileOutcome:
    run_id: int
    result: Reconciliation
    sheet: BalanceSheet
    rows_written: int
    ledgers_reread: int


def reconcile_balances(
    source: BuildiumSource,
    sessions: sessionmaker[Session],
    *,
    as_of: date | None = None,
    repair: bool = True,
    clock: Clock = utc_now,
) -> ReconcileOutcome:
    started = clock()
    day = as_of or started.date()
    raws = source.outstanding_balances()
    theirs, rejected = parse_all(RESOURCE, raws, parse_outstanding_balance)
    sheet, result = _compare(sessions, theirs, day)
    reread = 0
    if repair and result.mismatches:
        report = MirrorReport()
        ours = {row.lease_id for row in sheet.leases}
        differing = [m.lease_id for m in result.mismatches if m.lease_id in ours]
        refresh_ledgers(source, sql_units(sessions), report, lease_ids=differing, clock=clock)
        reread = report.ledgers_read
        sheet, result = _compare(sessions, theirs, day)
    with unit_of_work(sessions) as session:
        written = balance_store.store_balance_sheet(session, sheet, clock())
        run_id = balance_store.store_reconciliation(session, result, day, clock())
        quarantine(session, rejected, clock())
        counts = {
            "leases_compared": len(result.lines),
            "mismatches": len(result.mismatches),
            "rows_written": written,
            "ledgers_reread": reread,
        }
        record_run(session, RunRecord(PIPELINE, RESOURCE, started, clock(), counts))
    if not result.matched:
        logger.warning("reconciliation run %d: %s", run_id, result.summary())
    return ReconcileOutcome(run_id, result, sheet, written, reread)


def _compare(
    sessions: sessionmaker[Session], theirs: list[OutstandingBalance], day: date
) -> tuple[BalanceSheet, Reconciliation]:
    with unit_of_work(sessions) as session:
        sheet = balance_store.compute_from_mirror(session, day)
    ours = {row.entity_id: row.outstanding for row in sheet.leases}
    return sheet, reconcile(ours, theirs)
