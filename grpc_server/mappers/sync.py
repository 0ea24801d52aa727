"""Sync API rows -> wonder.v1 messages (pure; money exact via mappers.common.money)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from google.protobuf.duration_pb2 import Duration
from sqlalchemy.engine import Row

from wonder.db.enums import BalanceScope, LeaseStatus, ReconciliationStatus, SyncRunStatus
from wonder.proto_values import calendar_date, money, timestamp
from wonder.sync.read_store import (
    MONEY_FIGURES,
    LedgerEntry,
    Reconciliation,
    ResourceState,
    SheetTotals,
)
from wonder.v1 import sync_pb2

SCOPES: dict[int, BalanceScope] = {
    sync_pb2.BALANCE_SCOPE_LEASE: BalanceScope.LEASE,
    sync_pb2.BALANCE_SCOPE_UNIT: BalanceScope.UNIT,
    sync_pb2.BALANCE_SCOPE_PROPERTY: BalanceScope.PROPERTY,
}
_SCOPE_PROTO = {scope: number for number, scope in SCOPES.items()}
_SCOPE_COLLECTION = {
    BalanceScope.LEASE: "leases",
    BalanceScope.UNIT: "units",
    BalanceScope.PROPERTY: "properties",
}
_LEASE_STATUS = {
    LeaseStatus.ACTIVE: sync_pb2.Lease.STATUS_ACTIVE,
    LeaseStatus.PAST: sync_pb2.Lease.STATUS_PAST,
    LeaseStatus.FUTURE: sync_pb2.Lease.STATUS_FUTURE,
}
_MISMATCH_KIND = {
    ReconciliationStatus.MISMATCH: sync_pb2.ReconciliationMismatch.KIND_MISMATCH,
    ReconciliationStatus.MISSING_OURS: sync_pb2.ReconciliationMismatch.KIND_MISSING_OURS,
    ReconciliationStatus.MISSING_THEIRS: sync_pb2.ReconciliationMismatch.KIND_MISSING_THEIRS,
}

_RUN_STATUS = {
    SyncRunStatus.SUCCEEDED: sync_pb2.SyncRun.STATUS_SUCCEEDED,
    SyncRunStatus.FAILED: sync_pb2.SyncRun.STATUS_FAILED,
}


def lease_name(lease_id: int) -> str:
    return f"leases/{lease_id}"


def _name(collection: str, key: int | None) -> str:
    return "" if key is None else f"{collection}/{key}"


def lease_to_proto(row: Row[Any]) -> sync_pb2.Lease:
    return sync_pb2.Lease(
        name=lease_name(row.id),
        property=_name("properties", row.property_id),
        unit=_name("units", row.unit_id),
        unit_number=row.unit_number or "",
        status=_LEASE_STATUS[row.status],
        lease_type=row.lease_type or "",
        lease_from_date=calendar_date(row.lease_from_date),
        lease_to_date=calendar_date(row.lease_to_date),
        rent=money(row.rent),
        security_deposit=money(row.security_deposit),
        last_update_time=timestamp(row.last_updated_at),
        ledger_read_time=timestamp(row.ledger_read_at),
        delete_time=timestamp(row.deleted_at),
    )


def ledger_entry_to_proto(item: LedgerEntry) -> sync_pb2.LedgerEntry:
    entry = item.entry
    return sync_pb2.LedgerEntry(
        name=f"leases/{entry.lease_id}/ledgerEntries/{entry.id}",
        date=calendar_date(entry.date),
        transaction_type=str(entry.transaction_type.value),
        total_amount=money(entry.total_amount),
        memo=entry.memo or "",
        lines=[
            sync_pb2.LedgerEntry.Line(
                gl_account=_name("glAccounts", line.gl_account_id),
                amount=money(line.amount),
                is_cash_posting=line.is_cash_posting,
                memo=line.memo or "",
            )
            for line in item.lines
        ],
    )


def figures_to_proto(values: dict[str, Decimal]) -> sync_pb2.BalanceFigures:
    return sync_pb2.BalanceFigures(**{name: money(values[name]) for name in MONEY_FIGURES})


def row_to_proto(row: Row[Any]) -> sync_pb2.BalanceSheetRow:
    scope: BalanceScope = row.scope
    return sync_pb2.BalanceSheetRow(
        scope=_SCOPE_PROTO[scope],  # type: ignore[arg-type]
        entity=_name(_SCOPE_COLLECTION[scope], row.entity_id),
        property=_name("properties", row.property_id),
        unit=_name("units", row.unit_id),
        lease=_name("leases", row.lease_id),
        as_of=calendar_date(row.as_of),
        figures=figures_to_proto({name: getattr(row, name) for name in MONEY_FIGURES}),
        days_delinquent=row.days_delinquent,
        oldest_unpaid_charge_date=calendar_date(row.oldest_unpaid_charge),
        compute_time=timestamp(row.computed_at),
    )


def reconciliation_to_proto(found: Reconciliation | None) -> sync_pb2.ReconciliationSummary | None:
    if found is None:
        return None
    run = found.run
    return sync_pb2.ReconciliationSummary(
        run_time=timestamp(run.ran_at),
        as_of=calendar_date(run.as_of),
        leases_compared=run.leases_compared,
        mismatch_count=run.mismatches,
        matched=run.matched,
        mismatches=[
            sync_pb2.ReconciliationMismatch(
                lease=lease_name(m.lease_id),
                kind=_MISMATCH_KIND[m.status],
                ours=money(m.ours),
                theirs=money(m.theirs),
                difference=money(m.difference),
            )
            for m in found.mismatches
        ],
    )


def balance_sheet_to_proto(
    totals: SheetTotals, reconciliation: Reconciliation | None
) -> sync_pb2.BalanceSheet:
    return sync_pb2.BalanceSheet(
        name="balanceSheet",
        as_of=calendar_date(totals.as_of),
        compute_time=timestamp(totals.computed_at),
        totals=figures_to_proto(totals.sums),
        lease_count=totals.lease_count,
        delinquent_lease_count=totals.delinquent_lease_count,
        last_reconciliation=reconciliation_to_proto(reconciliation),
    )


def _lag(read_time: datetime, since: datetime | None) -> Duration | None:
    if since is None:
        return None
    delta = max(read_time - since, timedelta(0))  # a clock step back is no negative lag
    return Duration(seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000)


def resource_state_to_proto(
    state: ResourceState, read_time: datetime
) -> sync_pb2.ResourceSyncState:
    cursor = state.cursor
    last_success = state.last_success
    return sync_pb2.ResourceSyncState(
        resource=state.resource.value,
        cursor_time=timestamp(cursor.modification_timestamp) if cursor else None,
        cursor_key=(cursor.last_key or "") if cursor else "",
        last_success_time=timestamp(last_success),
        lag=_lag(read_time, last_success),
        record_count=state.live,
        deleted_count=state.deleted,
        quarantined_count=state.quarantined,
    )


def run_to_proto(row: Row[Any]) -> sync_pb2.SyncRun:
    counts: dict[str, Any] = row.counts or {}
    return sync_pb2.SyncRun(
        name=f"syncRuns/{row.id}",
        pipeline=row.pipeline,
        resource=row.resource,
        start_time=timestamp(row.started_at),
        finish_time=timestamp(row.finished_at),
        status=_RUN_STATUS[row.status],
        counts={key: int(value) for key, value in counts.items() if isinstance(value, int)},
        error=row.error or "",
    )


def dead_letter_to_proto(row: Row[Any]) -> sync_pb2.DeadLetter:
    return sync_pb2.DeadLetter(
        name=f"deadLetters/{row.id}",
        source=row.source,
        entity_key=row.entity_key,
        receive_time=timestamp(row.received_at),
        dead_time=timestamp(row.dead_at),
        attempts=row.attempts,
        last_error=row.last_error or "",
    )
