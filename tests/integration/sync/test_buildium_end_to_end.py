"""The mirror and the balance sheet over real HTTP: the Buildium client (through the mirror's
source adapter) against the Buildium sandbox, on both databases. Every expected figure comes
from the sandbox (``GET /_sandbox/truth``, its request log), never from the code under test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.buildium_fixtures import RunningBuildium
from wonder.clients.buildium import BuildiumClient
from wonder.clients.governor import TokenBucket
from wonder.db.base import Base
from wonder.db.models import (
    BuildiumGLAccount,
    BuildiumLease,
    BuildiumLeaseTransaction,
    BuildiumLeaseTransactionLine,
    BuildiumOwner,
    BuildiumRental,
    BuildiumTenant,
    BuildiumUnit,
)
from wonder.settings import BuildiumSyncSettings
from wonder.sync.buildium_source import ClientSource
from wonder.sync.mirror_service import MirrorReport, lease_of_transaction, sync
from wonder.sync.mirror_store import sql_units
from wonder.sync.reconcile_service import ReconcileOutcome, reconcile_balances

# Small pages, so every walk spans several pages (offset paging, cursors between pages).
SETTINGS = BuildiumSyncSettings(page_size=10, overlap_seconds=300, ledger_batch_size=7)
PORTFOLIO = {"properties": 8, "units": 36, "leases": 40, "history_months": 5, "seed": 11}
TABLES = {
    "glaccounts": BuildiumGLAccount,
    "rentals": BuildiumRental,
    "units": BuildiumUnit,
    "owners": BuildiumOwner,
    "tenants": BuildiumTenant,
    "leases": BuildiumLease,
}
CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def truth(running: RunningBuildium) -> dict[str, Any]:
    answer = httpx.get(f"{running.base_url}/_sandbox/truth")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def expected_state(t: dict[str, Any]) -> dict[str, Any]:
    """The sandbox's records and ledgers in the shape :func:`mirrored_state` reads ours."""
    ledgers = {
        int(lease_id): [
            (
                x["id"],
                date.fromisoformat(x["date"]),
                x["type"],
                money(x["total"]),
                [(gl, money(amount)) for gl, amount in x["lines"]],
            )
            for x in txns
        ]
        for lease_id, txns in t["ledgers"].items()
        if txns
    }
    return {"records": t["records"], "ledgers": ledgers}


def mirrored_state(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as s:
        records = {
            name: sorted(s.scalars(select(model.id).where(model.deleted_at.is_(None))))  # type: ignore[attr-defined]
            for name, model in TABLES.items()
        }
        t, line = BuildiumLeaseTransaction, BuildiumLeaseTransactionLine
        lines: dict[int, list[tuple[int | None, Decimal]]] = {}
        for txn_id, gl_id, amount in s.execute(
            select(line.transaction_id, line.gl_account_id, line.amount).order_by(
                line.transaction_id, line.line_number
            )
        ):
            lines.setdefault(txn_id, []).append((gl_id, money(amount)))
        ledgers: dict[int, list[Any]] = {}
        for row in s.execute(
            select(t.id, t.lease_id, t.date, t.transaction_type, t.total_amount)
            .where(t.deleted_at.is_(None))
            .order_by(t.id)
        ):
            ledgers.setdefault(row.lease_id, []).append(
                (
                    row.id,
                    row.date,
                    str(row.transaction_type),
                    money(row.total_amount),
                    lines.get(row.id, []),
                )
            )
        pending = s.scalars(select(BuildiumLease.id).where(BuildiumLease.ledger_pending)).all()
    assert pending == [], f"ledgers left pending: {pending}"
    return {"records": records, "ledgers": ledgers}


def source_for(running: RunningBuildium, **client: Any) -> ClientSource:
    return ClientSource(running.client(**client), clock=running.sandbox.clock.now)


def mirror(running: RunningBuildium, sessions: sessionmaker[Session]) -> MirrorReport:
    source = source_for(running)
    return sync(source, sql_units(sessions), SETTINGS, clock=running.sandbox.clock.now)


def reconcile(running: RunningBuildium, sessions: sessionmaker[Session]) -> ReconcileOutcome:
    today = date.fromisoformat(truth(running)["today"])
    # No repair: a mismatch must show, not be re-read away.
    return reconcile_balances(
        source_for(running), sessions, as_of=today, repair=False, clock=running.sandbox.clock.now
    )


def assert_balances_are_the_truth(outcome: ReconcileOutcome, t: dict[str, Any]) -> None:
    assert outcome.result.matched, outcome.result.summary()
    ours = {row.entity_id: row.outstanding for row in outcome.sheet.leases}
    theirs = {int(k): money(v["total"]) for k, v in t["balances"].items()}
    assert ours == theirs
    # Deposits: what the sandbox's ledger leaves open on the deposit account is our deposit due.
    due = {row.entity_id: row.deposit_due for row in outcome.sheet.leases if row.deposit_due}
    assert due == {
        int(k): money(v["by_gl_account"]["3"])
        for k, v in t["balances"].items()
        if money(v["by_gl_account"].get("3", 0))
    }


@pytest.fixture
def portfolio(http_buildium: Any) -> RunningBuildium:
    running: RunningBuildium = http_buildium(**PORTFOLIO)
    t = truth(running)
    kinds = {x["type"] for txns in t["ledgers"].values() for x in txns}
    gls = {line[0] for txns in t["ledgers"].values() for x in txns for line in x["lines"]}
    statuses = {r["LeaseStatus"] for r in running.sandbox.store.records["leases"].values()}
    totals = [money(b["total"]) for b in t["balances"].values()]
    # The portfolio has what the tests are about: partial payments, credits, late fees (GL 6),
    # deposits (GL 3, some left unpaid), move-outs, leases owing, leases at zero or in credit.
    assert {"Charge", "Payment", "Credit"} <= kinds
    assert {3, 5, 6} <= gls
    assert "Past" in statuses
    assert any(money(b["by_gl_account"].get("3", 0)) > 0 for b in t["balances"].values())
    assert any(x > 0 for x in totals)
    assert any(x <= 0 for x in totals)
    return running


def test_first_mirror_reconciles_to_the_cent_and_equals_the_truth(
    portfolio: RunningBuildium, sessions: sessionmaker[Session]
) -> None:
    report = mirror(portfolio, sessions)
    t = truth(portfolio)
    assert mirrored_state(sessions) == expected_state(t)
    assert report.ledgers_read == len(t["records"]["leases"])
    outcome = reconcile(portfolio, sessions)
    # Buildium lists only leases owing something: the others reconcile as "not listed".
    assert {line.lease_id for line in outcome.result.lines if line.theirs is not None} == {
        int(k) for k, v in t["balances"].items() if money(v["total"]) > 0
    }
    assert_balances_are_the_truth(outcome, t)
    assert portfolio.transport.violations == []


def test_an_incremental_sync_after_a_month_equals_the_new_truth(
    portfolio: RunningBuildium, sessions: sessionmaker[Session]
) -> None:
    portfolio.sandbox.advance(seconds=3600)  # the first mirror runs a while after the seeding
    mirror(portfolio, sessions)
    moved = portfolio.sandbox.advance(months=1, payments=4, edits=12, new_leases=2, ended_leases=2)
    assert moved.new_leases
    assert moved.ended_leases
    assert moved.transactions
    report = mirror(portfolio, sessions)
    t = truth(portfolio)
    # Incremental: the lease walk read only what changed, not the whole list again.
    assert report.resources["leases"].fetched < len(t["records"]["leases"])
    assert mirrored_state(sessions) == expected_state(t)
    assert_balances_are_the_truth(reconcile(portfolio, sessions), t)
    assert portfolio.transport.violations == []


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


class KillAfter(httpx.BaseTransport):
    """The process dies (an exception nothing catches) when request ``n + 1`` is sent."""

    def __init__(self, inner: httpx.BaseTransport, n: int) -> None:
        self.inner, self.n, self.sent = inner, n, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.sent >= self.n:
            raise KeyboardInterrupt(f"killed before request {self.sent + 1}")
        self.sent += 1
        return self.inner.handle_request(request)


def test_a_sync_killed_at_any_request_reruns_to_the_uninterrupted_state(
    portfolio: RunningBuildium, sessions: sessionmaker[Session], engine: Engine
) -> None:
    # Seeded an hour before: a re-run's ledger-change query sees none of it, so a ledger a
    # crash lost is not found again by accident.
    portfolio.sandbox.advance(seconds=3600)
    report = mirror(portfolio, sessions)
    expected = mirrored_state(sessions)
    assert expected == expected_state(truth(portfolio))
    total = report.requests
    points = sorted({1, 2, 3, 5, 8, total // 3, total // 2, total - 9, total - 4, total - 1})
    for n in points:
        empty(engine)
        client = BuildiumClient(
            portfolio.settings,
            transport=KillAfter(portfolio.transport, n),
            governor=TokenBucket(10_000),
        )
        killed = ClientSource(client, clock=portfolio.sandbox.clock.now)
        with pytest.raises(KeyboardInterrupt):
            sync(killed, sql_units(sessions), SETTINGS, clock=portfolio.sandbox.clock.now)
        mirror(portfolio, sessions)
        assert mirrored_state(sessions) == expected, f"killed after {n} of {total} requests"


def test_two_workers_never_exceed_the_account_limit(http_buildium: Any) -> None:
    running: RunningBuildium = http_buildium(
        frozen_clock=False, requests_per_second=10, leases=30, units=36, properties=6
    )
    lease_ids = sorted(running.sandbox.store.records["leases"])
    errors: list[BaseException] = []

    def worker(ids: list[int]) -> None:
        # Its own client; governor=None: the account's process-wide bucket.
        try:
            with running.client(governor=None) as client:
                source = ClientSource(client)
                for lease_id in ids:
                    source.lease_transactions(lease_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(lease_ids[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    log = httpx.get(f"{running.base_url}/_sandbox/requests").json()
    seconds = [row for rows in log["accounts"].values() for row in rows]
    assert sum(row["admitted"] for row in seconds) == len(lease_ids)
    assert max(row["admitted"] for row in seconds) <= 10, seconds
    assert sum(row["refused"] for row in seconds) == 0, seconds


@pytest.fixture(autouse=True)
def _fresh_account_buckets() -> Iterator[None]:
    from wonder.clients.buildium import governor

    governor._buckets.clear()
    yield
    governor._buckets.clear()


def test_a_lease_transaction_resolves_to_its_lease_through_its_gl_transaction(
    http_buildium: Any,
) -> None:
    running: RunningBuildium = http_buildium()
    source = source_for(running)
    txn = next(iter(running.sandbox.store.txns.values()))
    assert lease_of_transaction(source, txn.id) == txn.lease_id
    assert lease_of_transaction(source, 2_000_000_000) is None  # a 404 is "no such transaction"
    assert running.transport.violations == []
