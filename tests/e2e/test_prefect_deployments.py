"""prefect.yaml for real: a Prefect server, a process worker, `prefect deploy --all`, then the
first-load and incremental deployments run through the worker against a sandbox subprocess.

The same start-up code as `make demo` (devstack.platform), on free ports, with a temporary
PREFECT_HOME and SQLite database. Everything started is stopped, also when the test fails.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from devstack.demo import DEPLOYMENT_RUNS, run_deployments
from devstack.platform import (
    DemoConfig,
    deploy_all,
    start_prefect_server,
    start_sandbox,
    start_worker,
)
from devstack.prefect_api import PrefectApi
from devstack.processes import DevstackError, Supervisor, free_port
from wonder.db.models import Listing, Member, Office, QuarantinedRecord
from wonder.settings import SandboxSettings, Settings, TrestleSandboxSettings

# A Prefect server, a worker, a deploy and two flow runs: allow for a loaded machine.
pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.timeout(900)]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


EMIT = (
    "from flows.webhooks import PrefectEventSink; PrefectEventSink().emit('buildium', 'lease.7', 1)"
)


def _run_triggered_by_a_webhook_event(
    config: DemoConfig, env: dict[str, str], api: PrefectApi
) -> dict[str, Any]:
    """Send ``wonder.webhooks.received`` from another process, as the receiver does, and wait
    for the flow run the deployment trigger creates to finish."""
    deployment = api.deployment_id("webhooks-process", "webhooks-process")
    subprocess.run([sys.executable, "-c", EMIT], env=env, cwd=REPO_ROOT, check=True, timeout=120)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        runs = httpx.post(
            f"{config.prefect_api_url}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [str(deployment)]}}},
        ).json()
        finished = [r for r in runs if r["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED")]
        if finished:
            return dict(finished[0])
        time.sleep(1)
    pytest.fail("no webhooks-process run finished within 180 s of the event")


def test_listing_deployments_run_through_a_process_worker(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    settings = Settings(
        database_url=sqlite_engine.url.render_as_string(hide_password=False),
        sandbox=SandboxSettings(trestle=TrestleSandboxSettings(port=free_port(), listings=40)),
    )
    config = DemoConfig(
        root=REPO_ROOT,
        settings=settings,
        prefect_port=free_port(),
        var_dir=tmp_path / "var",
        sandbox_profile="fast",
        run_timeout=180,
    )
    env = config.env()
    with Supervisor(config.logs) as supervisor:
        start_sandbox(config, supervisor, env)
        start_prefect_server(config, supervisor, env)
        worker = start_worker(config, supervisor, env)
        deploy_all(config, env)
        with PrefectApi(config.prefect_api_url) as api:
            try:
                outcomes = run_deployments(api, config, runs=DEPLOYMENT_RUNS[:2])
            except DevstackError as exc:
                pytest.fail(f"{exc}\nworker log:\n{worker.log_tail(60)}")
            artifact_keys = {key for outcome in outcomes for key in api.artifact_keys(outcome.id)}
            triggered = _run_triggered_by_a_webhook_event(config, env, api)
        task_runs = httpx.post(
            f"{config.prefect_api_url}/task_runs/filter",
            json={"flow_runs": {"id": {"any_": [str(outcomes[0].id)]}}},
        ).json()

    assert [outcome.state_type for outcome in outcomes] == ["COMPLETED"] * 2
    # The receiver's event, as it sends it, made the deployment trigger start webhooks-process.
    assert triggered["state"]["type"] == "COMPLETED", triggered["state"]
    # The UI's graph: one task per resource of the first load, each completed.
    assert {(run["name"], run["state"]["type"]) for run in task_runs} == {
        (name, "COMPLETED") for name in ("listings", "media refresh", "members", "offices")
    }
    assert artifact_keys == {
        "listings-first-load-report",
        "listings-first-load-listings-progress",  # the long step's progress bar
        "listings-incremental-report",
    }
    with sqlite_engine.connect() as conn:
        quarantined = conn.scalar(
            select(func.count(func.distinct(QuarantinedRecord.record_key))).where(
                QuarantinedRecord.resource == "Property"
            )
        )
    assert _count(sqlite_engine, Listing) + (quarantined or 0) == 40
    assert _count(sqlite_engine, Member) > 0
    assert _count(sqlite_engine, Office) > 0
