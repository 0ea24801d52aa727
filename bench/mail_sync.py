"""Mail sync at the quota ceiling: messages/s fetched and stored per mailbox under each quota
regime, as a ratio to the ceiling the regime allows (legacy 250 units/s with get = 5: 50
messages/s; current 6,000 units/min with get = 20: 5 messages/s), and two mailboxes at once.

The Gmail sandbox runs in its own process with the ``realistic`` profile (the real quotas,
the real clock) and seeded mailboxes; the mail sync runs here against a scratch PostgreSQL
database with the product's governor (``wonder.mail.service``: 95 % of the quota). The ratio is
the messages stored over the messages the quota allowed in the same wall time (the bucket
starts full, then refills at the ceiling): how much of the quota the sync turns into mail. Each run
also checks that nothing was lost (stored = the sandbox's mailbox) or fetched twice.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx

from bench.support import ScratchDatabase, child_env, progress, service
from bench.table import Row, fmt_ratio
from devstack.processes import free_port, wait_until

GOAL = 0.9
MAILBOXES = ("agent@wonderstreet.example", "leasing@wonderstreet.example")


@contextlib.contextmanager
def gmail_sandbox(regime: str, messages: int) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "wonder.cli", "sandbox", "gmail", "--profile", "realistic"]
    argv += ["--regime", regime, "--messages", str(messages), "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/_sandbox/stats", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    with service(f"gmail sandbox ({regime})", argv, child_env(WONDER_LOG_LEVEL="WARNING")) as box:
        wait_until("the gmail sandbox", ready, timeout=120, process=box, progress=progress)
        yield base_url


def _sync(database: ScratchDatabase, base_url: str, regime: str, mailbox: str) -> dict[str, float]:
    from wonder.db.engine import make_engine, session_factory
    from wonder.mail.service import sync_mailbox
    from wonder.settings import GmailSettings

    settings = GmailSettings(base_url=base_url, regime=regime)
    engine = make_engine(database.url)
    try:
        started = time.perf_counter()
        report = sync_mailbox(
            session_factory(engine), settings, mailbox, clock=lambda: datetime.now(UTC)
        )
        wall = time.perf_counter() - started
    finally:
        engine.dispose()
    return {
        "stored": report.stored,
        "fetched": report.fetched,
        "wall": wall,
        "duplicates": report.duplicates,
        "still_queued": report.still_queued,
        "rate_limited": report.rate_limited_parts,
    }


def _truth(base_url: str) -> dict[str, int]:
    stats = httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json()
    return {box: info["messages"] for box, info in stats["mailboxes"].items()}


def _row(label: str, got: dict[str, float], ceiling: float, burst: float, expected: int) -> Row:
    """The reference is what the quota allowed in the run's wall time: the sandbox's bucket
    starts full (``burst`` messages) and refills at the ceiling."""
    rate = got["stored"] / got["wall"]
    allowed = burst + ceiling * got["wall"]
    share = got["stored"] / allowed
    exact = got["stored"] == expected and got["duplicates"] == 0 and got["still_queued"] == 0
    return Row(
        f"{label}: {int(got['stored'])} of {expected} stored in {got['wall']:.1f} s,"
        f" {int(got['rate_limited'])} parts re-queued after 429"
        f"{'' if exact else ' — LOST OR DUPLICATED'}",
        f"{rate:.1f} msg/s",
        f"quota allowed {allowed:.0f} (ceiling {ceiling:g}/s + a full bucket of {burst:.0f})",
        fmt_ratio(share),
        f"≥ {GOAL}",
        exact and share >= GOAL,
    )


def _two_at_once(base_url: str, regime: str) -> dict[str, dict[str, float]]:
    """Both mailboxes synced at once, one thread each (each its own quota and governor)."""
    from bench.support import scratch_database

    results: dict[str, dict[str, float]] = {}

    def one(mailbox: str, database: ScratchDatabase) -> None:
        results[mailbox] = _sync(database, base_url, regime, mailbox)

    with scratch_database() as database:
        threads = [threading.Thread(target=one, args=(box, database)) for box in MAILBOXES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results


def run(*, quick: bool = False) -> list[Row]:
    from bench.support import scratch_database
    from wonder.clients.gmail.quota import quota_regime

    rows: list[Row] = []
    # Current: more than a full bucket (300 gets), so the sustained 5/s shows.
    plans = (("legacy", 150 if quick else 1_000), ("current", 320 if quick else 600))
    for regime, messages in plans:
        quota = quota_regime(regime)  # type: ignore[arg-type]
        ceiling = quota.units_per_second / quota.cost("messages.get")
        burst = quota.units / quota.cost("messages.get")
        progress(f"mail sync, {regime} regime: {messages} messages per mailbox")
        with gmail_sandbox(regime, messages) as base_url:
            truth = _truth(base_url)
            with scratch_database() as database:
                one = _sync(database, base_url, regime, MAILBOXES[0])
            rows.append(_row(f"{regime}, one mailbox", one, ceiling, burst, truth[MAILBOXES[0]]))
            if regime == "legacy":
                both = _two_at_once(base_url, regime)
                for box in MAILBOXES:
                    label = f"{regime}, two at once: {box}"
                    rows.append(_row(label, both[box], ceiling, burst, truth[box]))
    return rows
