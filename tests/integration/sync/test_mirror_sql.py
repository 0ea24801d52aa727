"""The Buildium mirror on both databases, fed by the in-memory source: first load, the
incremental walk, the ledger re-read, reconciliation, the mass-delete guard, the quarantine."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.buildium_mirror_fixtures import (
    AS_OF,
    EXPECTED_LEASES,
    EXPECTED_PROPERTIES,
    EXPECTED_UNITS,
    LEDGERS,
    RENT,
    FakeBuildium,
    portfolio,
    txn,
)
from wonder.db.models import (
    BalanceScope,
    BalanceSheetRow,
    BuildiumLease,
    BuildiumLeaseTenant,
    BuildiumLeaseTransaction,
    BuildiumLeaseTransactionLine,
    BuildiumOwnerRental,
    BuildiumRental,
    BuildiumTenant,
    BuildiumUnit,
    HeldDelete,
    QuarantinedRecord,
    ReconciliationLease,
    ReconciliationStatus,
)
from wonder.settings import BuildiumSyncSettings
from wonder.sync.mirror_service import MirrorReport, lease_of_transaction, sync
from wonder.sync.mirror_store import apply_held_delete, sql_units
from wonder.sync.ports import Resource
from wonder.sync.reconcile_service import reconcile_balances

SETTINGS = BuildiumSyncSettings(page_size=2, overlap_seconds=300, mass_delete_min_rows=1)


def run(fake: FakeBuildium, sessions: sessionmaker[Session], *, full: bool = False) -> MirrorReport:
    return sync(fake, sql_units(sessions), SETTINGS, full=full, clock=lambda: fake.clock)


def count(sessions: sessionmaker[Session], model: object) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def test_a_first_sync_mirrors_every_resource_and_ledger(sessions: sessionmaker[Session]) -> None:
    fake = FakeBuildium.seeded()
    report = run(fake, sessions)
    assert report.resources["leases"].written == 4
    assert report.ledgers_read == 4
    assert count(sessions, BuildiumRental) == 2
    assert count(sessions, BuildiumUnit) == 3
    assert count(sessions, BuildiumLeaseTransaction) == sum(len(v) for v in LEDGERS.values())
    with sessions() as s:
        links = s.execute(select(BuildiumOwnerRental.owner_id, BuildiumOwnerRental.rental_id))
        assert set(links) == {(500, 100), (500, 200), (501, 200)}
        moved = s.get(BuildiumLeaseTenant, (9003, 702))
        assert moved is not None
        assert str(moved.move_out_date) == "2026-05-31"
        lease = s.get(BuildiumLease, 9001)
        assert lease is not None
        assert lease.raw == portfolio()[Resource.LEASES][0]
        assert not lease.ledger_pending
        fee = s.scalars(
            select(BuildiumLeaseTransactionLine).where(
                BuildiumLeaseTransactionLine.transaction_id == 6
            )
        ).one()
        assert fee.amount == Decimal("75.35")
        assert (fee.gl_account_id, fee.lease_id) == (2, 9001)


def test_a_second_sync_of_an_unchanged_portfolio_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    first_clock = fake.clock
    with sessions() as s:
        seen = sorted(s.execute(select(BuildiumUnit.id, BuildiumUnit.last_seen_at)))
    fake.clock += timedelta(hours=1)
    fake.list_calls.clear()
    report = run(fake, sessions)
    assert sum(r.written for r in report.resources.values()) == 0
    assert report.ledgers_read == 0
    with sessions() as s:
        assert sorted(s.execute(select(BuildiumUnit.id, BuildiumUnit.last_seen_at))) == seen
    # Incremental from the request clock of the last walk, less the overlap.
    assert {c[2] for c in fake.list_calls} == {first_clock - timedelta(seconds=300)}


def test_an_incremental_sync_takes_a_change_and_rereads_only_that_ledger(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    fake.clock += timedelta(hours=1)
    changed = copy.deepcopy(fake.records[Resource.LEASES][9002])
    changed["LastUpdatedDateTime"] = "2026-06-15T13:00:00Z"
    fake.put(Resource.LEASES, changed)
    fake.ledgers[9002].append(txn(17, 9002, "2026-06-15", "Charge", [(RENT, 35.0)]))
    fake.ledger_calls.clear()
    report = run(fake, sessions)
    assert fake.ledger_calls == [9002]
    assert report.resources["leases"].written == 1
    assert report.ledger_transactions_written == 1
    with sessions() as s:
        assert s.get(BuildiumLeaseTransaction, 17) is not None


def test_the_balance_sheet_reconciles_with_buildium_to_the_cent(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    outcome = reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)
    assert outcome.result.matched, outcome.result.summary()
    assert outcome.ledgers_reread == 0
    with sessions() as s:
        stored = {
            (r.scope, r.entity_id): (
                r.charges, r.payments, r.credits, r.balance, r.deposits_held, r.deposit_due,
                r.outstanding, r.days_delinquent, r.oldest_unpaid_charge,
            )
            for r in s.scalars(select(BalanceSheetRow))
        }  # fmt: skip
    expected = {
        **{(BalanceScope.LEASE, k): v for k, v in EXPECTED_LEASES.items()},
        **{(BalanceScope.UNIT, k): v for k, v in EXPECTED_UNITS.items()},
        **{(BalanceScope.PROPERTY, k): v for k, v in EXPECTED_PROPERTIES.items()},
    }
    assert stored == expected  # read back from the database: exact Decimal, to the cent
    again = reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)
    assert again.rows_written == 0  # nothing changed: no balance sheet row rewritten


def test_a_planted_mismatch_is_stored_and_named(sessions: sessionmaker[Session]) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    fake.balances[0]["TotalBalance"] = 1575.36
    outcome = reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)
    assert not outcome.result.matched
    assert outcome.ledgers_reread == 1  # the differing lease's ledger was re-read first
    assert "lease 9001: mismatch ours=1575.35 theirs=1575.36 diff=-0.01" in outcome.result.summary()
    with sessions() as s:
        (row,) = s.scalars(
            select(ReconciliationLease).where(ReconciliationLease.mismatch.is_(True))
        ).all()
    assert (row.run_id, row.lease_id, row.status) == (
        outcome.run_id,
        9001,
        ReconciliationStatus.MISMATCH,
    )
    assert (row.ours, row.theirs, row.difference) == (
        Decimal("1575.35"), Decimal("1575.36"), Decimal("-0.01")
    )  # fmt: skip


def test_a_ledger_change_no_sync_saw_is_repaired_by_the_reconciliation(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    # A payment posted with no change to the lease itself (a lost LeaseTransaction webhook).
    fake.ledgers[9001].append(txn(9, 9001, "2026-06-14", "Payment", [(RENT, 75.35)]))
    fake.balances[0].update(TotalBalance=1500.0, Balance31To60Days=0.0)
    outcome = reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)
    assert outcome.result.matched, outcome.result.summary()
    assert outcome.ledgers_reread == 1
    assert lease_of_transaction(fake, 9) == 9001


def test_a_full_sync_deletes_what_buildium_lost_but_holds_a_mass_delete(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    fake.remove(Resource.TENANTS, 703)
    guarded = BuildiumSyncSettings(page_size=2, mass_delete_fraction=0.5, mass_delete_min_rows=1)
    report = sync(fake, sql_units(sessions), guarded, full=True, clock=lambda: fake.clock)
    assert report.resources["tenants"].deleted == 1
    for tenant_id in (700, 701, 702):
        fake.remove(Resource.TENANTS, tenant_id)
    report = sync(fake, sql_units(sessions), guarded, full=True, clock=lambda: fake.clock)
    held_id = report.resources["tenants"].held_delete_id
    assert held_id is not None
    with sessions() as s:
        live = s.scalars(select(BuildiumTenant.id).where(BuildiumTenant.deleted_at.is_(None)))
        assert sorted(live) == [700, 701, 702]  # nothing deleted past the guard
        held = s.get(HeldDelete, held_id)
        assert held is not None
        assert (held.resource, sorted(held.keys)) == ("buildium:tenants", ["700", "701", "702"])
    with sessions.begin() as s:
        assert apply_held_delete(s, held_id, fake.clock) == 3
    assert count(sessions, BuildiumTenant) == 4  # soft deletes: the rows stay


def test_a_malformed_record_is_quarantined_and_its_stored_version_kept(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    broken = copy.deepcopy(fake.records[Resource.UNITS][1002])
    broken["MarketRent"] = "twelve hundred"
    fake.put(Resource.UNITS, broken)
    report = run(fake, sessions, full=True)
    assert report.resources["units"].quarantined == 1
    assert report.resources["units"].deleted == 0
    with sessions() as s:
        (entry,) = s.scalars(select(QuarantinedRecord)).all()
        unit = s.get(BuildiumUnit, 1002)
    assert (entry.resource, entry.record_key) == ("buildium:units", "1002")
    assert entry.reason.startswith("MarketRent: expected a number, got string")
    assert unit is not None
    assert unit.deleted_at is None
    assert unit.market_rent == Decimal("1200.00")


def test_the_nightly_ledger_check_rereads_every_ledger_and_a_voided_entry_is_deleted(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    run(fake, sessions)
    fake.ledgers[9001] = [t for t in fake.ledgers[9001] if t["Id"] != 8]  # the June payment voided
    fake.ledger_calls.clear()
    report = sync(
        fake, sql_units(sessions), SETTINGS, reread_ledgers=True, clock=lambda: fake.clock
    )
    assert sorted(fake.ledger_calls) == [9001, 9002, 9003, 9004]
    assert report.ledger_transactions_written == 0
    with sessions() as s:
        voided = s.get(BuildiumLeaseTransaction, 8)
        assert voided is not None
        assert voided.deleted_at == fake.clock
    fake.balances[0].update(TotalBalance=2075.35, Balance0To30Days=2000.0)
    outcome = reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)
    assert outcome.result.matched, outcome.result.summary()  # 1575.35 + the 500 no longer paid
