"""Buildium webhook to the PM Balance Sheet: p50 / p95 of the time from a charge posted in
Buildium to our balance-sheet row for that lease showing the new amount owed.

The demo's set-up, every piece in its own process: the Buildium sandbox (``realistic`` profile:
the real clock, 10 requests/s, signed webhooks delivered in the background) sending to a real
``wonder webhooks serve`` (HMAC checked, the inbox on a scratch PostgreSQL database), and a drain
loop (``drain_forever``: what ``webhooks-process`` does, every ``DRAIN_POLL_SECONDS``; the
``buildium`` handler resolves each ``LeaseTransaction.Created`` through its GL transaction,
re-reads the lease's ledger and stores the balance sheet). This process mirrors the portfolio
first, then posts one charge at a time through the Buildium API and polls the balance-sheet row
until its ``outstanding`` is the sandbox's own balance for that lease. The reference is the
scheduled safety net alone: ``buildium-incremental`` every 3 minutes finds a change 90 s after
it on average. A deployment adds the time its trigger takes to start a run (measured in the demo
as a few seconds); the figures here are the pipeline's own.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import psycopg

from bench.support import (
    ScratchDatabase,
    answering,
    child_env,
    percentile,
    progress,
    receiver_ready,
    scratch_database,
    service,
    started,
)
from bench.table import Row
from devstack.processes import free_port

SECRET = "bench-webhook-secret"
DRAIN_POLL_SECONDS = 0.1
POLL_SECONDS = 0.01
SPACING_SECONDS = 1.0
SAFETY_NET_SECONDS = 180.0  # buildium-incremental's schedule
WAIT_SECONDS = 60.0
CHARGE_GL_ACCOUNT = 7  # a fee account of the seeded chart (as in the client's charge tests)


def drain_forever() -> None:
    """The drain loop's child: the ``buildium`` handler every DRAIN_POLL_SECONDS."""
    from wonder.db.engine import make_engine, session_factory
    from wonder.settings import Settings
    from wonder.sync.webhook_handler import BuildiumInboxHandler
    from wonder.webhooks.drain import DrainPolicy, drain

    settings = Settings()
    sessions = session_factory(make_engine(settings.database_url))
    handler = BuildiumInboxHandler(settings)
    while True:
        drain(sessions, {"buildium": handler}, DrainPolicy())
        time.sleep(DRAIN_POLL_SECONDS)


@contextlib.contextmanager
def _pipeline(database: ScratchDatabase, leases: int) -> Iterator[str]:
    buildium_port, hooks_port = free_port(), free_port()
    buildium_url, hooks_url = f"http://127.0.0.1:{buildium_port}", f"http://127.0.0.1:{hooks_port}"
    env = child_env(
        WONDER_ENV_FILE="",
        WONDER_LOG_LEVEL="WARNING",
        WONDER_DATABASE_URL=database.url,
        WONDER_BUILDIUM__BASE_URL=buildium_url,
        WONDER_WEBHOOKS__BUILDIUM_SECRET=SECRET,
        WONDER_WEBHOOKS__EVENT_SINK="none",
    )
    units = max(leases + leases // 5, 10)
    sandbox = [sys.executable, "-m", "wonder.cli", "sandbox", "buildium", "--port"]
    sandbox += [str(buildium_port), "--leases", str(leases), "--units", str(units)]
    sandbox += ["--properties", str(max(units // 8, 1)), "--profile", "realistic"]
    receiver = [sys.executable, "-m", "wonder.cli", "webhooks", "serve", "--port", str(hooks_port)]
    drainer = [
        sys.executable,
        "-c",
        "import bench.buildium_webhook_latency as m; m.drain_forever()",
    ]
    with (
        started("buildium sandbox", sandbox, env, answering(f"{buildium_url}/_sandbox/stats")),
        started("webhook receiver", receiver, env, receiver_ready(hooks_port)),
    ):
        _first_mirror(database, buildium_url)
        httpx.post(
            f"{buildium_url}/_sandbox/webhooks",
            json={"url": f"{hooks_url}/webhooks/buildium", "secret": SECRET},
        ).raise_for_status()
        with service("drain loop", drainer, env):
            yield buildium_url


def _first_mirror(database: ScratchDatabase, base_url: str) -> None:
    from wonder.db.engine import make_engine, session_factory
    from wonder.settings import BuildiumSettings, Settings
    from wonder.sync.runner import buildium_source, plan, run_all

    settings = Settings(database_url=database.url, buildium=BuildiumSettings(base_url=base_url))
    engine = make_engine(database.url)
    try:
        with buildium_source(settings) as source:
            progress("first mirror of the portfolio (10 requests/s)")
            run_all(plan(), source, session_factory(engine), settings)
    finally:
        engine.dispose()


def _truth_balance(client: httpx.Client, lease_id: int) -> Decimal:
    balances = client.get("/_sandbox/truth").json()["balances"]
    return Decimal(str(balances[str(lease_id)]["total"])).quantize(Decimal("0.01"))


def _await_balance(
    connection: psycopg.Connection, lease_id: int, expected: Decimal, posted: float
) -> float:
    deadline = posted + WAIT_SECONDS
    while time.time() < deadline:
        row = connection.execute(
            "SELECT outstanding FROM pm_balance_sheet_rows"
            " WHERE scope = 'lease' AND entity_id = %s",
            (lease_id,),
        ).fetchone()
        if row is not None and Decimal(row[0]) == expected:
            return time.time() - posted
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"lease {lease_id}: the balance sheet did not show {expected} in time")


def run(*, quick: bool = False) -> list[Row]:
    from wonder.clients.buildium import BuildiumClient
    from wonder.settings import BuildiumSettings

    count = 8 if quick else 30
    latencies: list[float] = []
    with scratch_database() as database, _pipeline(database, 60 if quick else 250) as base_url:
        progress(f"buildium webhook latency: {count} charges, {SPACING_SECONDS} s apart")
        with (
            httpx.Client(base_url=base_url, timeout=10) as control,
            BuildiumClient(BuildiumSettings(base_url=base_url)) as buildium,
            psycopg.connect(database.libpq_url, autocommit=True) as connection,
        ):
            leases = sorted(int(k) for k in control.get("/_sandbox/truth").json()["balances"])
            for n in range(count):
                lease_id = leases[(n * 7) % len(leases)]
                started = time.time()
                buildium.post_charge(
                    lease_id,
                    {
                        "Date": datetime.now(UTC).date().isoformat(),
                        "Memo": f"bench fee {n}",
                        "Lines": [{"Amount": 10 + n, "GLAccountId": CHARGE_GL_ACCOUNT}],
                    },
                )
                expected = _truth_balance(control, lease_id)
                latencies.append(_await_balance(connection, lease_id, expected, started))
                time.sleep(max(0.0, started + SPACING_SECONDS - time.time()))
    mean_poll = SAFETY_NET_SECONDS / 2
    rows = [
        Row(
            f"charge posted to balance-sheet row, {name} ({len(latencies)} charges)",
            f"{percentile(latencies, share) * 1000:,.0f} ms",
            f"buildium-incremental every 3 min alone: {mean_poll:.0f} s on average",
            f"{percentile(latencies, share) / mean_poll:.4f}",
        )
        for name, share in (("p50", 0.5), ("p95", 0.95))
    ]
    rows.append(
        Row(
            "charge to balance sheet, mean / max",
            f"{statistics.mean(latencies) * 1000:,.0f} / {max(latencies) * 1000:,.0f} ms",
        )
    )
    return rows
