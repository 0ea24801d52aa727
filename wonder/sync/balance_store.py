"""The PM Balance Sheet and reconciliations on SQL: read the mirror's ledger, store the rows.

Rows are written only when they changed (``row_hash``), so recomputing an unchanged portfolio
writes nothing but the reconciliation run; rows whose lease, unit or property is gone are removed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.orm import Session

from wonder.db.bulk import upsert
from wonder.db.models import (
    BalanceScope,
    BalanceSheetRow,
    BuildiumGLAccount,
    BuildiumLease,
    BuildiumLeaseTransaction,
    BuildiumLeaseTransactionLine,
    ReconciliationLease,
    ReconciliationRun,
)
from wonder.ingest.hashing import content_hash
from wonder.sync.balance_sheet import (
    AccountRef,
    BalanceRow,
    BalanceSheet,
    LeaseRef,
    LedgerLine,
    compute_balance_sheet,
    deposit_account_ids,
)
from wonder.sync.reconcile import Reconciliation

_ROWS: Table = BalanceSheetRow.__table__  # type: ignore[assignment]
_RECONCILED: Table = ReconciliationLease.__table__  # type: ignore[assignment]


def compute_from_mirror(session: Session, as_of: date) -> BalanceSheet:
    """The balance sheet of every live lease from the mirrored ledger (deleted entries out)."""
    leases = [
        LeaseRef(i, u, p)
        for i, u, p in session.execute(
            select(BuildiumLease.id, BuildiumLease.unit_id, BuildiumLease.property_id).where(
                BuildiumLease.deleted_at.is_(None)
            )
        )
    ]
    t, line = BuildiumLeaseTransaction, BuildiumLeaseTransactionLine
    lines = [
        LedgerLine(tid, lid, when, kind, account, amount)
        for tid, lid, when, kind, account, amount in session.execute(
            select(t.id, t.lease_id, t.date, t.transaction_type, line.gl_account_id, line.amount)
            .join(line, line.transaction_id == t.id)
            .where(t.deleted_at.is_(None))
        )
    ]
    a = BuildiumGLAccount
    accounts = [
        AccountRef(i, kind, name, default)
        for i, kind, name, default in session.execute(
            select(a.id, a.type, a.name, a.default_account_name).where(a.deleted_at.is_(None))
        )
    ]
    return compute_balance_sheet(leases, lines, deposit_account_ids(accounts), as_of)


def row_values(row: BalanceRow, as_of: date) -> dict[str, object]:
    values: dict[str, object] = {
        "scope": row.scope,
        "entity_id": row.entity_id,
        "property_id": row.property_id,
        "unit_id": row.unit_id,
        "lease_id": row.lease_id,
        "as_of": as_of,
        "charges": row.charges,
        "payments": row.payments,
        "credits": row.credits,
        "balance": row.balance,
        "deposits_held": row.deposits_held,
        "deposit_due": row.deposit_due,
        "outstanding": row.outstanding,
        "days_delinquent": row.days_delinquent,
        "oldest_unpaid_charge": row.oldest_unpaid_charge,
    }
    values["row_hash"] = content_hash({k: str(v) for k, v in values.items()})
    return values


def store_balance_sheet(session: Session, sheet: BalanceSheet, now: datetime) -> int:
    """Write the rows that changed, remove rows no longer computed; returns rows written."""
    stored = {
        (BalanceScope(scope), entity): digest
        for scope, entity, digest in session.execute(
            select(BalanceSheetRow.scope, BalanceSheetRow.entity_id, BalanceSheetRow.row_hash)
        )
    }
    wanted = {(r.scope, r.entity_id): row_values(r, sheet.as_of) for r in sheet.rows()}
    changed = [
        {**values, "computed_at": now}
        for key, values in wanted.items()
        if stored.get(key) != values["row_hash"]
    ]
    upsert(session, _ROWS, changed, conflict=["scope", "entity_id"])
    gone = [key for key in stored if key not in wanted]
    for start in range(0, len(gone), 500):
        session.execute(
            delete(BalanceSheetRow).where(
                tuple_(BalanceSheetRow.scope, BalanceSheetRow.entity_id).in_(
                    gone[start : start + 500]
                )
            )
        )
    return len(changed) + len(gone)


def store_reconciliation(
    session: Session, result: Reconciliation, as_of: date, now: datetime
) -> int:
    """A reconciliation run with one row per lease compared; returns the run id."""
    run = ReconciliationRun(
        ran_at=now,
        as_of=as_of,
        leases_compared=len(result.lines),
        mismatches=len(result.mismatches),
        matched=result.matched,
    )
    session.add(run)
    session.flush()
    if result.lines:
        session.execute(
            _RECONCILED.insert(),
            [
                {
                    "run_id": run.id,
                    "lease_id": line.lease_id,
                    "status": line.status,
                    "mismatch": line.mismatch,
                    "ours": line.ours,
                    "theirs": line.theirs,
                    "difference": line.difference,
                }
                for line in result.lines
            ],
        )
    return run.id


def latest_reconciliation(session: Session) -> ReconciliationRun | None:
    return session.scalars(
        select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(1)
    ).first()


def reconciliation_mismatches(session: Session, run_id: int) -> list[ReconciliationLease]:
    return list(
        session.scalars(
            select(ReconciliationLease)
            .where(ReconciliationLease.run_id == run_id, ReconciliationLease.mismatch.is_(True))
            .order_by(ReconciliationLease.lease_id)
        )
    )
