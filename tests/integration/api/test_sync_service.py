"""SyncService over real gRPC on both databases, fed by the mirror from the in-memory Buildium:
the balance sheet against the hand-computed figures, the reconciliation's mismatches named,
leases and ledgers exact to the cent, and the sync state equal to what the database holds."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal

import grpc
import grpc.aio
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.buildium_mirror_fixtures import (
    AS_OF,
    EXPECTED_LEASES,
    EXPECTED_PROPERTIES,
    EXPECTED_UNITS,
    LEDGERS,
    T0,
    FakeBuildium,
)
from tests.integration.api.conftest import field_violations, resource_infos, seed
from tests.integration.api.sync_support import SyncApi, amount, sync_api
from wonder.db.enums import SyncRunStatus
from wonder.db.models import (
    BuildiumLease,
    BuildiumTenant,
    IngestCursor,
    QuarantinedRecord,
    SyncRun,
)
from wonder.settings import BuildiumSyncSettings
from wonder.sync.mirror_service import sync
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import Resource
from wonder.sync.reconcile_service import reconcile_balances
from wonder.v1 import sync_pb2
from wonder.v1 import sync_service_pb2 as pb

__all__ = ["sync_api"]

SETTINGS = BuildiumSyncSettings(page_size=2, overlap_seconds=300, mass_delete_min_rows=1)
FIGURES = ("charges", "payments", "credits", "balance", "deposits_held", "deposit_due")


def mirror(sessions: sessionmaker[Session], fake: FakeBuildium) -> None:
    sync(fake, sql_units(sessions), SETTINGS, clock=lambda: fake.clock)
    reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)


def figures(row: sync_pb2.BalanceSheetRow) -> tuple[object, ...]:
    f = row.figures
    money = tuple(amount(getattr(f, name)) for name in (*FIGURES, "outstanding"))
    oldest = row.oldest_unpaid_charge_date
    day = (
        date(oldest.year, oldest.month, oldest.day)
        if row.HasField("oldest_unpaid_charge_date")
        else None
    )
    return (*money, row.days_delinquent, day)


@pytest.mark.parametrize(
    ("scope", "expected", "collection"),
    [
        (sync_pb2.BALANCE_SCOPE_LEASE, EXPECTED_LEASES, "leases"),
        (sync_pb2.BALANCE_SCOPE_UNIT, EXPECTED_UNITS, "units"),
        (sync_pb2.BALANCE_SCOPE_PROPERTY, EXPECTED_PROPERTIES, "properties"),
    ],
)
async def test_balance_sheet_rows_are_the_hand_computed_figures_to_the_cent(
    sync_api: SyncApi,
    scope: sync_pb2.BalanceScope.ValueType,
    expected: dict[int, tuple[object, ...]],
    collection: str,
) -> None:
    mirror(sync_api.sessions, FakeBuildium.seeded())
    response = await sync_api.call(
        "ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(scope=scope)
    )
    got = {row.entity: figures(row) for row in response.rows}
    assert got == {f"{collection}/{key}": value for key, value in expected.items()}
    assert response.next_page_token == ""
    assert {(r.as_of.year, r.as_of.month, r.as_of.day) for r in response.rows} == {(2026, 6, 15)}


async def test_the_balance_sheet_totals_every_lease_and_names_the_mismatches(
    sync_api: SyncApi,
) -> None:
    fake = FakeBuildium.seeded()
    fake.balances[0]["TotalBalance"] = 1575.36  # Buildium says one cent more for lease 9001
    mirror(sync_api.sessions, fake)
    sheet = await sync_api.call("GetBalanceSheet", pb.GetBalanceSheetRequest(name="balanceSheet"))
    for i, name in enumerate((*FIGURES, "outstanding")):
        assert amount(getattr(sheet.totals, name)) == sum(
            (Decimal(str(row[i])) for row in EXPECTED_LEASES.values()), Decimal("0")
        ), name
    assert sheet.lease_count == len(EXPECTED_LEASES)
    assert sheet.delinquent_lease_count == 1
    assert (sheet.as_of.year, sheet.as_of.month, sheet.as_of.day) == (2026, 6, 15)
    summary = sheet.last_reconciliation
    assert not summary.matched
    assert summary.mismatch_count == 1
    [mismatch] = summary.mismatches
    assert mismatch.lease == "leases/9001"
    assert mismatch.kind == sync_pb2.ReconciliationMismatch.KIND_MISMATCH
    assert amount(mismatch.ours) == Decimal("1575.35")
    assert amount(mismatch.theirs) == Decimal("1575.36")
    assert amount(mismatch.difference) == Decimal("-0.01")


async def test_an_empty_database_has_an_empty_balance_sheet(sync_api: SyncApi) -> None:
    sheet = await sync_api.call("GetBalanceSheet", pb.GetBalanceSheetRequest(name="balanceSheet"))
    assert sheet.lease_count == 0
    assert amount(sheet.totals.outstanding) == 0
    assert not sheet.HasField("as_of")
    assert not sheet.HasField("last_reconciliation")


async def test_a_lease_and_its_ledger_read_exactly_as_buildium_sent_them(sync_api: SyncApi) -> None:
    mirror(sync_api.sessions, FakeBuildium.seeded())
    lease = await sync_api.call("GetLease", pb.GetLeaseRequest(name="leases/9003"))
    assert (lease.property, lease.unit, lease.status) == (
        "properties/200",
        "units/2001",
        sync_pb2.Lease.STATUS_PAST,
    )
    assert amount(lease.rent) == Decimal("1000.00")
    assert amount(lease.security_deposit) == Decimal("1200.00")
    assert (lease.lease_to_date.year, lease.lease_to_date.month, lease.lease_to_date.day) == (
        2026,
        5,
        31,
    )
    entries: list[sync_pb2.LedgerEntry] = []
    token = ""
    while True:  # one entry a page: every page boundary crosses a tie on the date
        page = await sync_api.call(
            "ListLedgerEntries",
            pb.ListLedgerEntriesRequest(parent="leases/9001", page_size=1, page_token=token),
        )
        entries.extend(page.entries)
        token = page.next_page_token
        if not token:
            break
    source = sorted(LEDGERS[9001], key=lambda t: (t["Date"], t["Id"]))
    assert [e.name for e in entries] == [f"leases/9001/ledgerEntries/{t['Id']}" for t in source]
    assert [amount(e.total_amount) for e in entries] == [
        Decimal(repr(t["TotalAmount"])) for t in source
    ]
    late_fee = next(e for e in entries if e.name.endswith("/6"))
    assert [amount(line.amount) for line in late_fee.lines] == [Decimal("75.35")]
    assert late_fee.lines[0].gl_account == "glAccounts/2"


async def test_missing_and_malformed_leases(sync_api: SyncApi) -> None:
    for method, request in (
        ("GetLease", pb.GetLeaseRequest(name="leases/404")),
        ("ListLedgerEntries", pb.ListLedgerEntriesRequest(parent="leases/404")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await sync_api.call(method, request)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        [info] = resource_infos(missing.value)
        assert (info.resource_type, info.resource_name) == ("wonder.v1.Lease", "leases/404")
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await sync_api.call("GetLease", pb.GetLeaseRequest(name="leases/abc"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "name" in field_violations(bad.value)
    with pytest.raises(grpc.aio.AioRpcError) as singleton:
        await sync_api.call("GetSyncState", pb.GetSyncStateRequest(name="syncStates/1"))
    assert "name" in field_violations(singleton.value)


async def test_the_sync_state_is_what_the_database_holds(sync_api: SyncApi) -> None:
    fake = FakeBuildium.seeded()
    mirror(sync_api.sessions, fake)
    fake.remove(Resource.TENANTS, 703)  # a census soft-deletes it
    fake.clock += timedelta(minutes=5)
    # Our clock runs 7 s ahead of Buildium's: the watermark and the last success differ.
    ours = fake.clock + timedelta(seconds=7)
    sync(fake, sql_units(sync_api.sessions), SETTINGS, full=True, clock=lambda: ours)
    failed = SyncRun(
        pipeline="buildium:mirror", resource="buildium:leases", started_at=ours,
        finished_at=ours + timedelta(hours=1), status=SyncRunStatus.FAILED, counts={},
        error="Buildium answered 500",
    )  # fmt: skip
    seed(sync_api.sessions, failed)  # a later failure is no success
    state = await sync_api.call("GetSyncState", pb.GetSyncStateRequest(name="syncState"))
    by_resource = {r.resource: r for r in state.resources}
    assert list(by_resource) == [
        resource.value
        for resource in (
            Resource.RENTALS,
            Resource.UNITS,
            Resource.OWNERS,
            Resource.TENANTS,
            Resource.LEASES,
            Resource.GL_ACCOUNTS,
            Resource.LEASE_TRANSACTIONS,
        )
    ]
    with sync_api.sessions() as s:
        tenants_live = s.scalar(
            select(func.count())
            .select_from(BuildiumTenant)
            .where(BuildiumTenant.deleted_at.is_(None))
        )
        tenants_deleted = s.scalar(
            select(func.count())
            .select_from(BuildiumTenant)
            .where(BuildiumTenant.deleted_at.is_not(None))
        )
        cursor = s.get(IngestCursor, Resource.LEASES.label)
        last_lease_run = s.scalar(
            select(func.max(SyncRun.finished_at)).where(
                SyncRun.resource == "buildium:leases", SyncRun.status == SyncRunStatus.SUCCEEDED
            )
        )
        quarantined = s.scalar(select(func.count()).select_from(QuarantinedRecord))
        pending = s.scalar(
            select(func.count())
            .select_from(BuildiumLease)
            .where(BuildiumLease.ledger_pending.is_(True))
        )
    assert (by_resource["tenants"].record_count, by_resource["tenants"].deleted_count) == (
        tenants_live,
        tenants_deleted,
    )
    assert by_resource["tenants"].deleted_count == 1
    assert by_resource["leases"].record_count == len(EXPECTED_LEASES)
    assert by_resource["lease_transactions"].record_count == sum(len(v) for v in LEDGERS.values())
    assert cursor is not None
    assert cursor.modification_timestamp is not None
    leases = by_resource["leases"]
    assert leases.last_success_time.ToDatetime(UTC) == cursor.updated_at.astimezone(UTC)
    assert leases.cursor_time.ToDatetime(UTC) == cursor.modification_timestamp.astimezone(UTC)
    assert leases.last_success_time.ToDatetime(UTC) == ours == last_lease_run
    # No ledger was pending in the second run, so no ledger run: the last success is the first.
    assert by_resource["lease_transactions"].last_success_time.ToDatetime(UTC) == T0
    assert leases.cursor_time.ToDatetime(UTC) == fake.clock
    read_time = state.read_time.ToDatetime(UTC)
    assert leases.lag.ToTimedelta() == read_time - ours
    assert sum(r.quarantined_count for r in state.resources) == quarantined
    assert state.ledgers_pending == pending
    assert state.last_reconciliation.matched
    assert state.last_reconciliation.leases_compared > 0
    assert len(state.last_reconciliation.mismatches) == 0
