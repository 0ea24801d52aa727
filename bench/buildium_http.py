"""``python -m bench.buildium_http [--leases N]``: the first Buildium mirror end to end, over
HTTP, through the real client into a scratch PostgreSQL, against the Buildium sandbox at the
real rate (realistic profile: 10 requests/s per account, 429 past it).

Figures, each against a reference measured in the same run:

- requests made against the minimum the paging allows (1 per 1,000 records of each list, the
  chart of accounts, 1 ledger per lease: Buildium has no cross-lease ledger read);
- wall time against the 10 requests/s ceiling for those requests (``requests / 10`` seconds):
  1.0 would be every slot used; the client's governor keeps 10 % headroom, so 0.9 is the most;
- 429s the sandbox answered (the governor should make them 0);
- the reconciliation after it (matched to the cent, and its requests).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

import httpx

from bench.support import progress, scratch_database
from bench.table import Row, render_text
from wonder.clients.buildium import BuildiumClient
from wonder.db.engine import make_engine, session_factory
from wonder.sandbox.buildium import BuildiumSandbox, BuildiumSandboxConfig
from wonder.sandbox.server import serve_in_thread
from wonder.settings import BuildiumSettings, BuildiumSyncSettings
from wonder.sync.buildium_source import ClientSource
from wonder.sync.mirror_service import sync
from wonder.sync.mirror_store import sql_units
from wonder.sync.reconcile_service import reconcile_balances

RATE = 10  # requests per second per Buildium account
PAGE = 1000


def pages(count: int) -> int:
    return max(1, -(-count // PAGE))


def run(leases: int) -> list[Row]:
    started = time.perf_counter()
    sandbox = BuildiumSandbox(
        BuildiumSandboxConfig(
            properties=max(1, leases // 12),
            units=int(leases * 1.1),
            leases=leases,
            profile="realistic",
            start_time=datetime(2026, 3, 10, 12, tzinfo=UTC),
        )
    )
    progress(f"seeded {leases:,} leases in {time.perf_counter() - started:.1f} s")
    records = sandbox.store.records
    minimum = 1 + sum(
        pages(len(records[name])) for name in ("rentals", "units", "owners", "tenants", "leases")
    )
    minimum += len(records["leases"])
    with serve_in_thread(sandbox.app) as server, scratch_database() as database:
        engine = make_engine(database.url)
        sessions = session_factory(engine)
        settings = BuildiumSettings(base_url=server.base_url, rate_per_second=RATE)
        with BuildiumClient(settings) as client:
            source = ClientSource(client, clock=sandbox.clock.now)
            walk_started = time.perf_counter()
            report = sync(
                source, sql_units(sessions), BuildiumSyncSettings(page_size=PAGE),
                clock=sandbox.clock.now,
            )  # fmt: skip
            wall = time.perf_counter() - walk_started
            progress(f"first mirror: {report.requests:,} requests in {wall:.1f} s")
            before = client.requests_made
            today = date.fromisoformat(sandbox.truth()["today"])
            outcome = reconcile_balances(
                source, sessions, as_of=today, repair=False, clock=sandbox.clock.now
            )
            reconcile_requests = client.requests_made - before
        engine.dispose()
        log = httpx.get(f"{server.base_url}/_sandbox/requests").json()
    sandbox.close()
    seconds = [row for rows in log["accounts"].values() for row in rows]
    refused = sum(row["refused"] for row in seconds)
    peak = max((row["admitted"] for row in seconds), default=0)
    ceiling = report.requests / RATE
    owing = sum(1 for line in outcome.result.lines if line.theirs is not None)
    return [
        Row(f"first mirror of {leases:,} leases over HTTP: requests", f"{report.requests:,}",
            f"{minimum:,} minimum", f"{minimum / report.requests:.2f}", "1.00",
            minimum == report.requests),
        Row("first mirror: wall time vs the 10 req/s ceiling", f"{wall:.1f} s",
            f"{ceiling:.1f} s", f"{ceiling / wall:.2f}", ">= 0.8", ceiling / wall >= 0.8),
        Row("429s answered / busiest second", f"{refused} / {peak} requests", f"{RATE}/s limit",
            goal="0 / <= 10", met=refused == 0 and peak <= RATE),
        Row("reconciliation: leases matched to the cent",
            f"{len(outcome.result.lines) - len(outcome.result.mismatches):,}",
            f"{len(outcome.result.lines):,} leases ({owing:,} owing)", goal="all",
            met=outcome.result.matched),
        Row("reconciliation: requests", f"{reconcile_requests}", f"{pages(owing)} minimum",
            met=reconcile_requests == pages(owing)),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildium_http", description=__doc__)
    parser.add_argument("--leases", type=int, default=10_000)
    args = parser.parse_args(argv)
    title = f"Buildium first mirror over HTTP, {args.leases:,} leases at 10 req/s"
    print(render_text(title, run(args.leases)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
