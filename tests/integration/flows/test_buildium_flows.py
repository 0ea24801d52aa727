"""The Buildium flows in a real Prefect (the test harness's server) against the Buildium sandbox
over HTTP: the mirror, the artifacts and the account's Prefect global rate limit, taken strictly
by two worker processes at once."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.buildium_fixtures import RunningBuildium
from tests.integration.flows.test_listing_flows import _report
from tests.integration.sync.test_buildium_end_to_end import (
    PORTFOLIO,
    expected_state,
    mirrored_state,
    truth,
)
from wonder.db.models import SyncRun
from wonder.settings import BuildiumSettings, BuildiumSyncSettings

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

ACCOUNT_LIMIT = "buildium-account"


def create_limit(name: str, *, limit: int, decay: float = 0.0) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=limit, slot_decay_per_second=decay)
        )


@pytest.fixture
def buildium_flow_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, http_buildium: Any
) -> RunningBuildium:
    running: RunningBuildium = http_buildium(**PORTFOLIO)
    create_limit(ACCOUNT_LIMIT, limit=1, decay=9.5)
    create_limit(BuildiumSyncSettings().concurrency_limit_name, limit=1)
    monkeypatch.setenv("WONDER_DATABASE_URL", database_url)
    monkeypatch.setenv("WONDER_BUILDIUM__BASE_URL", running.base_url)
    monkeypatch.setenv("WONDER_BUILDIUM_SYNC__PAGE_SIZE", "10")
    monkeypatch.setenv("WONDER_FLOWS__TASK_RETRY_BACKOFF_SECONDS", "0")
    return running


def test_the_incremental_flow_mirrors_reconciles_and_reports(buildium_flow_env, sessions) -> None:
    from flows.buildium import buildium_incremental

    running = buildium_flow_env
    state = buildium_incremental(return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary.failed == ()
    assert mirrored_state(sessions) == expected_state(truth(running))
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    report = _report(run_id, "buildium-incremental-report")
    assert "| leases (buildium:leases) |" in report
    assert f"Prefect rate limit '{ACCOUNT_LIMIT}'" in report
    reconciliation = _report(run_id, "buildium-incremental-reconciliation")
    leases = len(running.sandbox.store.records["leases"])
    assert f"{leases} leases compared with Buildium's outstanding balances; 0 differ" in (
        reconciliation
    )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) >= 8


WORKER = textwrap.dedent(
    """
    import sys, time
    from flows.governor import PrefectRateGovernor
    from wonder.clients.buildium import BuildiumClient
    from wonder.settings import BuildiumSettings

    base_url, limit, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    governor = PrefectRateGovernor(limit, timeout_seconds=30)
    made = 0
    with BuildiumClient(BuildiumSettings(base_url=base_url), governor=governor) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            client.get("/v1/glaccounts")
            made += 1
    print(made)
    """
)


def run_workers(base_url: str, limit: str, seconds: float = 6.0) -> list[int]:
    from prefect.settings import PREFECT_API_URL

    env = {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "PATH": "/usr/bin:/bin"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, base_url, limit, str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    made = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-2000:]
        made.append(int(out.strip().splitlines()[-1]))
    return made


def test_two_worker_processes_on_the_prefect_rate_limit_never_exceed_10_per_second(
    http_buildium: Any,
) -> None:
    """Two processes, one strict Prefect global rate limit (1 slot, 9.5 freed per second), the
    sandbox counting by the wall clock: no second above Buildium's 10, none refused."""
    bu: RunningBuildium = http_buildium(profile="realistic", frozen_clock=False, start_time=None)
    create_limit(ACCOUNT_LIMIT, limit=1, decay=9.5)
    made = run_workers(bu.base_url, ACCOUNT_LIMIT)
    assert all(n > 0 for n in made), made  # both workers got requests through
    log = httpx.get(f"{bu.base_url}/_sandbox/requests").json()["accounts"]["1"]
    assert sum(second["admitted"] for second in log) == sum(made)
    assert max(second["admitted"] for second in log) <= 10
    assert all(second["refused"] == 0 for second in log)


def test_a_missing_rate_limit_refuses_to_send_instead_of_sending_unlimited(
    http_buildium: Any,
) -> None:
    from flows.governor import PrefectRateGovernor
    from wonder.clients.buildium import BuildiumClient

    bu: RunningBuildium = http_buildium()
    governor = PrefectRateGovernor("no-such-limit", timeout_seconds=5)
    with (
        BuildiumClient(BuildiumSettings(base_url=bu.base_url), governor=governor) as client,
        pytest.raises(Exception, match="no-such-limit"),
    ):
        client.get("/v1/glaccounts")
    log = httpx.get(f"{bu.base_url}/_sandbox/requests").json()["accounts"]
    assert log == {} or all(s["admitted"] == 0 for s in log.get("1", []))
