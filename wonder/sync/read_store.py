"""Read queries for the sync API (async SQLAlchemy Core): the mirror's leases and ledgers, the
PM Balance Sheet, the latest reconciliation and the state of every resource's sync.

Filters come from :mod:`wonder.aip.filtering` ASTs over :mod:`wonder.sync.catalogue`, compiled
by :mod:`wonder.db.filter_sql` (bound parameters only); paging is keyset only. Rows are returned
as SQLAlchemy rows of the columns the API shows, never the ``raw`` documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from wonder.aip.fields import SortValue
from wonder.aip.filtering import FilterExpr
from wonder.aip.ordering import OrderKey
from wonder.db.base import Base
from wonder.db.enums import BalanceScope, ReconciliationStatus, SyncRunStatus
from wonder.db.filter_sql import FilterColumns
from wonder.db.filter_sql import compile_filter as compile_any_filter
from wonder.db.keyset import SortColumn, after_position, order_clauses
from wonder.db.models import (
    BalanceSheetRow,
    BuildiumGLAccount,
    BuildiumLease,
    BuildiumLeaseTransaction,
    BuildiumLeaseTransactionLine,
    BuildiumOwner,
    BuildiumRental,
    BuildiumTenant,
    BuildiumUnit,
    IngestCursor,
    QuarantinedRecord,
    ReconciliationLease,
    ReconciliationRun,
    SyncRun,
)
from wonder.sync.mirror_service import PIPELINE as MIRROR_PIPELINE
from wonder.sync.ports import Resource

MAX_MISMATCHES_SHOWN = 100

# The mirror table of every resource, in the order the sync walks them.
# (Any: every one is a MirroredRecord with ``deleted_at``.)
RESOURCE_TABLES: tuple[tuple[Resource, Any], ...] = (
    (Resource.RENTALS, BuildiumRental),
    (Resource.UNITS, BuildiumUnit),
    (Resource.OWNERS, BuildiumOwner),
    (Resource.TENANTS, BuildiumTenant),
    (Resource.LEASES, BuildiumLease),
    (Resource.GL_ACCOUNTS, BuildiumGLAccount),
    (Resource.LEASE_TRANSACTIONS, BuildiumLeaseTransaction),
)

_ROW_COLUMNS = FilterColumns(BalanceSheetRow)
_RUN_COLUMNS = FilterColumns(SyncRun)
_LEASE_COLUMNS = FilterColumns(BuildiumLease)
_LEASE_SELECT = select(
    BuildiumLease.id,
    BuildiumLease.property_id,
    BuildiumLease.unit_id,
    BuildiumLease.unit_number,
    BuildiumLease.status,
    BuildiumLease.lease_type,
    BuildiumLease.lease_from_date,
    BuildiumLease.lease_to_date,
    BuildiumLease.rent,
    BuildiumLease.security_deposit,
    BuildiumLease.last_updated_at,
    BuildiumLease.ledger_read_at,
    BuildiumLease.deleted_at,
)
_ROW_SELECT = select(
    *(column for column in BalanceSheetRow.__table__.c if column.name != "row_hash")
)
LEDGER_ORDER = (
    SortColumn(BuildiumLeaseTransaction.date),
    SortColumn(BuildiumLeaseTransaction.id),
)


def _columns(model: type[Base], order: Sequence[OrderKey]) -> list[SortColumn]:
    def column(name: str) -> InstrumentedAttribute[Any]:
        attribute: InstrumentedAttribute[Any] = getattr(model, name)
        return attribute

    return [SortColumn(column(k.field.column), k.descending, k.field.nullable) for k in order]


def row_sort_columns(order: Sequence[OrderKey]) -> list[SortColumn]:
    return _columns(BalanceSheetRow, order)


def lease_sort_columns(order: Sequence[OrderKey]) -> list[SortColumn]:
    return _columns(BuildiumLease, order)


def run_sort_columns(order: Sequence[OrderKey]) -> list[SortColumn]:
    return _columns(SyncRun, order)


def ledger_position(row: Row[Any]) -> list[SortValue]:
    """A ledger entry's keyset position as the page token holds it (day ordinal, id)."""
    day: date = row.date
    return [day.toordinal(), row.id]


@dataclass(frozen=True)
class LedgerEntry:
    entry: Row[Any]
    lines: list[Row[Any]]


@dataclass(frozen=True)
class SheetTotals:
    as_of: date | None
    computed_at: datetime | None
    lease_count: int
    delinquent_lease_count: int
    sums: dict[str, Decimal]


@dataclass(frozen=True)
class Reconciliation:
    run: Row[Any]
    mismatches: list[Row[Any]]


@dataclass(frozen=True)
class ResourceState:
    resource: Resource
    cursor: Row[Any] | None
    live: int
    deleted: int
    quarantined: int
    # When a mirror run of the resource last committed its last page (``sync_runs``).
    last_success: datetime | None


MONEY_FIGURES = (
    "charges",
    "payments",
    "credits",
    "balance",
    "deposits_held",
    "deposit_due",
    "outstanding",
)


class SyncReadRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection

    async def _all(self, statement: Any) -> list[Row[Any]]:
        return list((await self._connection.execute(statement)).all())

    # --- leases and ledgers --------------------------------------------------------------

    async def lease(self, lease_id: int) -> Row[Any] | None:
        rows = await self._all(_LEASE_SELECT.where(BuildiumLease.id == lease_id))
        return rows[0] if rows else None

    async def lease_exists(self, lease_id: int) -> bool:
        found = await self._connection.scalar(
            select(BuildiumLease.id).where(BuildiumLease.id == lease_id)
        )
        return found is not None

    async def list_leases(
        self,
        *,
        where: FilterExpr | None,
        order: Sequence[OrderKey],
        after: Sequence[SortValue] | None,
        limit: int,
        show_deleted: bool,
    ) -> list[Row[Any]]:
        columns = lease_sort_columns(order)
        conditions: list[ColumnElement[bool]] = [compile_any_filter(where, _LEASE_COLUMNS)]
        if not show_deleted:
            conditions.append(BuildiumLease.deleted_at.is_(None))
        if after is not None:
            conditions.append(after_position(columns, after))
        statement = (
            _LEASE_SELECT.where(and_(*conditions)).order_by(*order_clauses(columns)).limit(limit)
        )
        return await self._all(statement)

    async def list_ledger(
        self, lease_id: int, after: Sequence[SortValue] | None, limit: int
    ) -> list[LedgerEntry]:
        """A lease's live entries in (date, id) order; ``after`` is (day ordinal, id)."""
        conditions = [
            BuildiumLeaseTransaction.lease_id == lease_id,
            BuildiumLeaseTransaction.deleted_at.is_(None),
        ]
        if after is not None:
            ordinal, entry_id = after
            assert isinstance(ordinal, int)
            day: Any = date.fromordinal(ordinal)
            conditions.append(after_position(LEDGER_ORDER, [day, entry_id]))
        t = BuildiumLeaseTransaction
        entries = await self._all(
            select(t.id, t.lease_id, t.date, t.transaction_type, t.total_amount, t.memo)
            .where(and_(*conditions))
            .order_by(*order_clauses(LEDGER_ORDER))
            .limit(limit)
        )
        lines: dict[int, list[Row[Any]]] = {entry.id: [] for entry in entries}
        if lines:
            line = BuildiumLeaseTransactionLine
            for row in await self._all(
                select(
                    line.transaction_id,
                    line.gl_account_id,
                    line.amount,
                    line.is_cash_posting,
                    line.memo,
                )
                .where(line.transaction_id.in_(list(lines)))
                .order_by(line.transaction_id, line.line_number)
            ):
                lines[row.transaction_id].append(row)
        return [LedgerEntry(entry, lines[entry.id]) for entry in entries]

    # --- sync runs ---------------------------------------------------------------------

    async def list_runs(
        self,
        *,
        where: FilterExpr | None,
        order: Sequence[OrderKey],
        after: Sequence[SortValue] | None,
        limit: int,
    ) -> list[Row[Any]]:
        columns = run_sort_columns(order)
        conditions = [compile_any_filter(where, _RUN_COLUMNS)]
        if after is not None:
            conditions.append(after_position(columns, after))
        statement = (
            select(SyncRun).where(and_(*conditions)).order_by(*order_clauses(columns)).limit(limit)
        )
        return await self._all(statement)

    # --- the balance sheet ---------------------------------------------------------------

    async def list_rows(
        self,
        scope: BalanceScope,
        *,
        where: FilterExpr | None,
        order: Sequence[OrderKey],
        after: Sequence[SortValue] | None,
        limit: int,
    ) -> list[Row[Any]]:
        columns = row_sort_columns(order)
        conditions = [BalanceSheetRow.scope == scope, compile_any_filter(where, _ROW_COLUMNS)]
        if after is not None:
            conditions.append(after_position(columns, after))
        statement = (
            _ROW_SELECT.where(and_(*conditions)).order_by(*order_clauses(columns)).limit(limit)
        )
        return await self._all(statement)

    async def sheet_totals(self) -> SheetTotals:
        r = BalanceSheetRow
        # sum() keeps the Money type: exact Decimals on both databases (cents on SQLite).
        figures = [func.sum(getattr(r, name)) for name in MONEY_FIGURES]
        row = (
            await self._connection.execute(
                select(
                    func.count(),
                    func.count().filter(r.days_delinquent > 0),
                    func.max(r.as_of),
                    func.max(r.computed_at),
                    *figures,
                ).where(r.scope == BalanceScope.LEASE)
            )
        ).one()
        count, delinquent, as_of, computed_at, *sums = row
        return SheetTotals(
            as_of=as_of,
            computed_at=computed_at,
            lease_count=count,
            delinquent_lease_count=delinquent,
            sums={
                name: Decimal("0.00") if value is None else value
                for name, value in zip(MONEY_FIGURES, sums, strict=True)
            },
        )

    async def latest_reconciliation(self, with_mismatches: bool) -> Reconciliation | None:
        runs = await self._all(
            select(ReconciliationRun)
            .order_by(ReconciliationRun.ran_at.desc(), ReconciliationRun.id.desc())
            .limit(1)
        )
        if not runs:
            return None
        mismatches: list[Row[Any]] = []
        if with_mismatches:
            lease = ReconciliationLease
            mismatches = await self._all(
                select(lease.lease_id, lease.status, lease.ours, lease.theirs, lease.difference)
                .where(lease.run_id == runs[0].id, lease.mismatch.is_(True))
                .where(lease.status != ReconciliationStatus.MATCH)
                .order_by(lease.lease_id)
                .limit(MAX_MISMATCHES_SHOWN)
            )
        return Reconciliation(runs[0], mismatches)

    # --- sync state ----------------------------------------------------------------------

    async def resource_states(self) -> list[ResourceState]:
        names = [resource.label for resource, _ in RESOURCE_TABLES]
        cursors = {
            row.name: row
            for row in await self._all(
                select(
                    IngestCursor.name,
                    IngestCursor.modification_timestamp,
                    IngestCursor.last_key,
                    IngestCursor.updated_at,
                ).where(IngestCursor.name.in_(names))
            )
        }
        quarantined: dict[str, int] = {
            row.resource: row.quarantined
            for row in await self._all(
                select(QuarantinedRecord.resource, func.count().label("quarantined"))
                .where(QuarantinedRecord.resolved_at.is_(None))
                .group_by(QuarantinedRecord.resource)
            )
        }
        last_success: dict[str, datetime] = {
            row.resource: row.finished
            for row in await self._all(
                select(SyncRun.resource, func.max(SyncRun.finished_at).label("finished"))
                .where(
                    SyncRun.pipeline == MIRROR_PIPELINE,
                    SyncRun.status == SyncRunStatus.SUCCEEDED,
                    SyncRun.resource.in_(names),
                )
                .group_by(SyncRun.resource)
            )
        }
        states: list[ResourceState] = []
        for resource, model in RESOURCE_TABLES:
            deleted_at: InstrumentedAttribute[Any] = model.deleted_at
            live, deleted = (
                await self._connection.execute(
                    select(
                        func.count().filter(deleted_at.is_(None)),
                        func.count().filter(deleted_at.is_not(None)),
                    ).select_from(model)
                )
            ).one()
            states.append(
                ResourceState(
                    resource,
                    cursors.get(resource.label),
                    live,
                    deleted,
                    quarantined.get(resource.label, 0),
                    last_success.get(resource.label),
                )
            )
        return states

    async def ledgers_pending(self) -> int:
        count = await self._connection.scalar(
            select(func.count()).where(
                BuildiumLease.ledger_pending.is_(True), BuildiumLease.deleted_at.is_(None)
            )
        )
        return int(count or 0)
