"""SIGKILL `wonder listings first-load` mid-run, run it again: nothing lost, nothing twice.

A real process killed by the kernel, where it happens to be; test_kill_points.py crashes a run at
every one of its units of work deterministically and proves the re-run resumes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.sandbox_checks import assert_matches_truth, count
from tests.trestle_fixtures import RunningTrestle
from wonder.db.models import IngestCursor, Listing, ListingChange, Member, Office

WONDER = Path(sys.executable).parent / "wonder"
PAGE_SIZE = 10
# Generous: a bound on a wait, not a timing assertion.
WAIT_SECONDS = 60.0


def cli_env(running: RunningTrestle, database_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("WONDER_") or name == "WONDER_TEST_DATABASE_URL"
    }
    env.update(
        {
            "WONDER_DATABASE_URL": database_url,
            "WONDER_TRESTLE__BASE_URL": running.base_url,
            "WONDER_TRESTLE__CLIENT_ID": running.settings.client_id,
            "WONDER_TRESTLE__CLIENT_SECRET": running.settings.client_secret.get_secret_value(),
            "WONDER_TRESTLE__PAGE_SIZE": str(PAGE_SIZE),
            "WONDER_LOG_LEVEL": "WARNING",
        }
    )
    return env


def committed_pages(sessions: sessionmaker[Session]) -> int:
    """Pages the first load has committed so far (its cursor moves with every page)."""
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property:first_load")
        if cursor is None or cursor.last_key is None:
            return 0
        return int(session.scalar(select(func.count()).select_from(Listing)) or 0) // PAGE_SIZE


def test_first_load_survives_sigkill(
    sessions: sessionmaker[Session],
    database_url: str,
    make_trestle_sandbox: Callable[..., RunningTrestle],
    tmp_path: Path,
) -> None:
    running = make_trestle_sandbox(listings=150, seed=3)
    # Slow answers so the kill lands in the middle of the walk: the pages left after the third
    # take seconds, far longer than one poll of the loop below.
    running.sandbox.set_faults(latency_ms=200)
    env = cli_env(running, database_url)
    command = [str(WONDER), "listings", "first-load"]

    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while committed_pages(sessions) < 3 and process.poll() is None:
            assert time.monotonic() < deadline, "the first load never committed 3 pages"
            time.sleep(0.02)
        assert process.poll() is None, "the first load finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        _, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == -signal.SIGKILL, stderr.decode()
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property:first_load")
        assert cursor is not None
        assert cursor.state == {"done": False}
    partial = count(sessions, Listing)
    assert 0 < partial < 150

    running.sandbox.set_faults()
    rerun = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, timeout=WAIT_SECONDS * 2, check=False
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert b"Property first_load" in rerun.stdout

    assert_matches_truth(sessions, running)
    # Every listing once, with exactly one change-feed row from the load.
    assert count(sessions, Listing) == 150
    assert count(sessions, ListingChange) == 150
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property:first_load")
        assert cursor is not None
        assert cursor.state == {"done": True}
    assert count(sessions, Member) > 0
    assert count(sessions, Office) > 0
