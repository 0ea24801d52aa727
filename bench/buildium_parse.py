"""``python -m bench.buildium_parse``: what parsing one 1,000-record Buildium page costs.

A page of 1,000 leases and one of 1,000 lease transactions, rendered by the Buildium sandbox
(spec-shaped), are parsed the way the client used to (``json.loads(parse_float=Decimal)`` then
the pydantic records), the way it does now (``orjson``, numbers as JSON floats, money made
exact from their repr by pydantic), and the way the mirror reads them (``orjson`` to plain
dicts, then the mirror's strict parsers in ``wonder.sync.records``). Reference: the 100 ms a
request has at 10 requests/s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from bench.support import progress
from bench.table import Row, render_text
from wonder.clients.buildium import records as r
from wonder.sandbox.buildium import BuildiumSandbox, BuildiumSandboxConfig
from wonder.sandbox.buildium import messages as m
from wonder.sync import records as rec

SLOT = 0.1  # seconds per request at 10 requests/s


def pages() -> tuple[bytes, bytes]:
    sandbox = BuildiumSandbox(
        BuildiumSandboxConfig(
            properties=90,
            units=1_100,
            leases=1_000,
            profile="fast",
            start_time=datetime(2026, 3, 10, 12, tzinfo=UTC),
        )
    )
    store = sandbox.store
    leases = [m.lease(store, x) for x in list(store.records["leases"].values())[:1000]]
    txns = [m.lease_transaction(store, t) for t in list(store.txns.values())[:1000]]
    sandbox.close()
    return m.dumps(leases), m.dumps(txns)


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def run() -> list[Row]:
    lease_page, txn_page = pages()
    progress(
        f"pages: leases {len(lease_page) / 1e6:.2f} MB, transactions {len(txn_page) / 1e6:.2f} MB"
    )
    ways: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "before: json Decimal + pydantic records": (
            lambda: [r.Lease.of(x) for x in json.loads(lease_page, parse_float=Decimal)],
            lambda: [r.LeaseTransaction.of(x) for x in json.loads(txn_page, parse_float=Decimal)],
        ),
        "client now: orjson + pydantic records": (
            lambda: [r.Lease.of(x) for x in orjson.loads(lease_page)],
            lambda: [r.LeaseTransaction.of(x) for x in orjson.loads(txn_page)],
        ),
        "mirror path: orjson + strict parsers": (
            lambda: [rec.parse_lease(x) for x in orjson.loads(lease_page)],
            lambda: [rec.parse_lease_transaction(x, x["LeaseId"]) for x in orjson.loads(txn_page)],
        ),
    }
    rows = []
    before: dict[str, float] = {}
    for name, (leases, txns) in ways.items():
        for what, fn in (("leases", leases), ("transactions", txns)):
            seconds = best_of(fn)
            before.setdefault(what, seconds)
            rows.append(
                Row(
                    f"{name}: 1,000 {what}",
                    f"{seconds * 1000:.0f} ms",
                    f"{SLOT * 1000:.0f} ms slot; before {before[what] * 1000:.0f} ms",
                    f"{seconds / SLOT:.2f} of the slot",
                    "< 0.5",
                    seconds / SLOT < 0.5,
                )
            )
    return rows


def main() -> int:
    print(render_text("Buildium page parsing", run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
