"""``python -m bench.buildium_mirror [--leases N] [--sqlite]``: the Buildium mirror's own cost.

An in-memory Buildium (generated portfolio, every record shaped as the spec's messages, its
outstanding balances summed as it posts the ledger) drives the real sync service and store on a
scratch database. No HTTP: what is measured is our side. Figures: requests made against the
minimum the paging allows; our time per request against the 100 ms slot a request has at
10 requests/s (the sync is sequential, so while our time plus Buildium's latency stays inside
the slot, the rate limit, not we, sets the wall time); a reconciliation and an incremental sync
when nothing changed (writes, goal 0; requests per lease).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.support import progress, scratch_database
from bench.table import Row, render_text
from wonder.db.engine import make_engine, session_factory
from wonder.db.migrate import upgrade
from wonder.settings import BuildiumSyncSettings
from wonder.sync.mirror_service import sync
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import Resource, SourcePage
from wonder.sync.reconcile_service import reconcile_balances

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
RATE = 10  # requests per second per Buildium account
RENT, FEE, DEPOSIT = 1, 2, 3


def transaction(
    txn_id: int, lease_id: int, prop: int, when: date, kind: str, account: int, amount: Decimal
) -> dict[str, Any]:
    line = {"GLAccount": {"Id": account}, "Amount": float(amount), "PropertyId": prop}
    return {
        "Id": txn_id, "Date": when.isoformat(), "TransactionTypeEnum": kind,
        "TotalAmount": float(amount), "LeaseId": lease_id, "Journal": {"Lines": [line]},
    }  # fmt: skip


class GeneratedBuildium:
    def __init__(self, leases: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.requests = 0
        self.accounts = [
            {"Id": RENT, "Name": "Rent Income", "Type": "Income", "SubAccounts": []},
            {"Id": FEE, "Name": "Late Fee Income", "Type": "Income", "SubAccounts": []},
            {"Id": DEPOSIT, "Name": "Security Deposit Liability", "Type": "Liability"},
        ]
        self.lists: dict[Resource, list[dict[str, Any]]] = {r: [] for r in Resource}
        self.ledgers: dict[int, list[dict[str, Any]]] = {}
        self.balances: list[dict[str, Any]] = []
        units_per_property, txn_id = 8, 0
        for n in range(leases):
            prop, unit_id, lease_id = 1 + n // units_per_property, 10_000 + n, 100_000 + n
            if n % units_per_property == 0:
                self.lists[Resource.RENTALS].append({"Id": prop, "Name": f"P{prop}"})
                self.lists[Resource.OWNERS].append({"Id": prop, "PropertyIds": [prop]})
            self.lists[Resource.UNITS].append(
                {"Id": unit_id, "PropertyId": prop, "MarketRent": 1000.0}
            )
            self.lists[Resource.TENANTS].append(
                {"Id": lease_id, "FirstName": "T", "LastName": str(n)}
            )
            rent = Decimal(rng.randrange(800, 2500))
            self.lists[Resource.LEASES].append({
                "Id": lease_id, "PropertyId": prop, "UnitId": unit_id, "LeaseStatus": "Active",
                "AccountDetails": {"Rent": float(rent), "SecurityDeposit": float(rent)},
                "Tenants": [{"Id": lease_id, "Status": "Current", "MoveInDate": "2026-01-01"}],
                "LastUpdatedDateTime": "2026-01-01T00:00:00Z",
            })  # fmt: skip
            entries: list[tuple[date, str, int, Decimal]] = [
                (date(2026, 1, 1), "Charge", DEPOSIT, rent),
                (date(2026, 1, 1), "Payment", DEPOSIT, rent),
            ]
            owed = Decimal(0)
            for month in range(1, 7):
                entries.append((date(2026, month, 1), "Charge", RENT, rent))
                share = Decimal(100 if rng.random() < 0.8 else rng.randrange(0, 100))
                paid = (rent * share / 100).quantize(Decimal("0.01"))
                if paid:
                    entries.append((date(2026, month, 3), "Payment", RENT, paid))
                owed += rent - paid
                if paid < rent:
                    entries.append((date(2026, month, 6), "Charge", FEE, Decimal("50.00")))
                    owed += Decimal("50.00")
            ledger = [
                transaction(txn_id + i + 1, lease_id, prop, *entry)
                for i, entry in enumerate(entries)
            ]
            self.ledgers[lease_id] = ledger
            txn_id += len(ledger)
            if owed > 0:
                self.balances.append({"LeaseId": lease_id, "PropertyId": prop, "UnitId": unit_id,
                                      "TotalBalance": float(owed)})  # fmt: skip

    def list_page(
        self, resource: Resource, *, offset: int, limit: int, updated_from: datetime | None
    ) -> SourcePage:
        self.requests += 1
        rows = self.lists[resource] if updated_from is None else []
        return SourcePage(rows[offset : offset + limit], len(rows), NOW)

    def changed_ledgers(self, updated_from: datetime) -> SourcePage:
        # Nothing posted since the first load: one GL-transaction page, empty.
        self.requests += 1
        return SourcePage([], 0, NOW)

    def lease_transactions(self, lease_id: int) -> Sequence[Any]:
        self.requests += 1
        return self.ledgers.get(lease_id, [])

    def outstanding_balances(self) -> Sequence[Any]:
        self.requests += math.ceil(max(len(self.balances), 1) / 1000)
        return self.balances

    def gl_accounts(self) -> Sequence[Any]:
        self.requests += 1
        return self.accounts

    def gl_transaction(self, transaction_id: int) -> Mapping[str, Any] | None:
        self.requests += 1
        return None

    def get_record(self, resource: Resource, record_id: int) -> Mapping[str, Any] | None:
        self.requests += 1
        return next((r for r in self.lists[resource] if r["Id"] == record_id), None)

    @property
    def requests_made(self) -> int:
        return self.requests


@contextlib.contextmanager
def database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            yield url
    else:
        with scratch_database() as scratch:
            yield scratch.url


def measure(leases: int, sqlite: bool) -> list[Row]:
    source = GeneratedBuildium(leases)
    settings = BuildiumSyncSettings(page_size=1000)
    with database(sqlite) as url:
        engine = make_engine(url)
        sessions = session_factory(engine)
        started = time.perf_counter()
        first = sync(source, sql_units(sessions), settings, clock=lambda: NOW)
        ours = time.perf_counter() - started
        minimum = (
            1
            + sum(math.ceil(len(source.lists[r]) / 1000) for r in source.lists if source.lists[r])
            + leases
        )
        floor = first.requests / RATE
        before = source.requests
        outcome = reconcile_balances(source, sessions, as_of=date(2026, 6, 15), clock=lambda: NOW)
        assert outcome.result.matched, outcome.result.summary()
        first_rows = outcome.rows_written
        again = reconcile_balances(source, sessions, as_of=date(2026, 6, 15), clock=lambda: NOW)
        quiet_requests = source.requests - before - (source.requests - before) // 2
        quiet = sync(
            source, sql_units(sessions), settings, clock=lambda: NOW + timedelta(minutes=5)
        )
        engine.dispose()
    written = sum(r.written for r in quiet.resources.values()) + quiet.ledger_transactions_written
    per_request = ours / first.requests
    slot = 1 / RATE
    return [
        Row(f"first mirror of {leases:,} leases: requests", f"{first.requests:,}",
            f"{minimum:,} minimum", f"{minimum / first.requests:.2f}", "1.00",
            minimum == first.requests),
        Row("first mirror: our time", f"{ours:.1f} s", f"{floor:.1f} s at 10 req/s"),
        Row("first mirror: our time per request vs its 10 req/s slot",
            f"{per_request * 1000:.1f} ms", f"{slot * 1000:.0f} ms", f"{per_request / slot:.2f}",
            "< 0.8 (the limit sets the pace)", per_request / slot < 0.8),
        Row("reconciliation, first: balance sheet rows written", f"{first_rows:,}"),
        Row("reconciliation, nothing changed: rows written", f"{again.rows_written}", goal="0",
            met=again.rows_written == 0),
        Row("reconciliation, nothing changed: requests per lease",
            f"{quiet_requests / leases:.4f}", f"{quiet_requests} requests"),
        Row("incremental sync, nothing changed: records written", f"{written}", goal="0",
            met=written == 0),
        Row("incremental sync, nothing changed: requests", f"{quiet.requests}"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildium_mirror", description=__doc__)
    parser.add_argument("--leases", type=int, default=10_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args(argv)
    progress(
        f"buildium mirror at {args.leases:,} leases ({'SQLite' if args.sqlite else 'PostgreSQL'})"
    )
    print(
        render_text(
            f"Buildium mirror, {args.leases:,} generated leases", measure(args.leases, args.sqlite)
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
