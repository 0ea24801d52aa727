"""The listing flows wired end to end in-process: sandbox over HTTP → database, one Prefect task
per resource, the narrow report artifact, quarantine reasons in the run's log (new versus still
open), progress artifacts, and the task retry policy (a transient error retried, auth not)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select

from flows.artifacts import RunSummary
from flows.listings import listings_census, listings_first_load, listings_incremental
from wonder.db.models import Listing, Member, Office, QuarantinedRecord
from wonder.settings import TrestleSettings

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _count(engine: Engine, model: type, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _artifacts(flow_run_id: UUID) -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {artifact.key: artifact for artifact in found if artifact.key}


def _report(flow_run_id: UUID, key: str) -> str:
    artifact = _artifacts(flow_run_id)[key]
    assert artifact.type == "markdown"
    return str(artifact.data)


def _task_runs(flow_run_id: UUID) -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {run.name: run for run in runs}


def _logs(flow_run_id: UUID) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    return [log.message for log in logs]


def _run(flow: Any, **parameters: Any) -> tuple[RunSummary, UUID]:
    state = flow(return_state=True, **parameters)
    assert state.is_completed(), state.message
    return state.result(), state.state_details.flow_run_id


def test_first_load_then_incremental_then_census(
    engine: Engine, flow_environment: TrestleSettings, trestle_sandbox: Any
) -> None:
    summary, run_id = _run(listings_first_load)

    truth = trestle_sandbox.sandbox.truth()
    assert _count(engine, Listing) == len(truth)
    stored = _count(engine, Listing) + _count(engine, Member) + _count(engine, Office)
    assert summary.written == stored
    assert (summary.quarantined_new, summary.quarantined_still_open, summary.failed) == (0, 0, ())
    assert "RunSummary(name='listings-first-load', read=" in repr(summary)
    # One Prefect task per resource, each run once.
    tasks = _task_runs(run_id)
    assert set(tasks) == {"listings", "media refresh", "members", "offices"}
    assert all(run.state.is_completed() and run.run_count == 1 for run in tasks.values())
    artifacts = _artifacts(run_id)
    assert artifacts["listings-first-load-listings-progress"].type == "progress"
    assert artifacts["listings-first-load-listings-progress"].data == 100.0
    markdown = _report(run_id, "listings-first-load-report")
    header = next(line for line in markdown.splitlines() if line.startswith("| resource"))
    assert header.count("|") - 1 == 8  # a narrow table
    assert f"| listings (Property) | {len(truth)} | {len(truth)} | 0 | 0 | 0 |" in markdown
    assert f"in {summary.requests} Trestle requests" in markdown
    assert "used in this window" in markdown  # the quota the run left behind

    listings_before = _count(engine, Listing)
    trestle_sandbox.sandbox.advance(seconds=600, price_changes=3, new_listings=2)
    summary, run_id = _run(listings_incremental)
    assert _count(engine, Listing) == listings_before + 2
    assert summary.written >= 5
    assert "| listings (Property) | " in _report(run_id, "listings-incremental-report")

    summary, run_id = _run(listings_census)
    assert set(_task_runs(run_id)) == {"census"}
    assert summary.per_step["census"].source_keys == len(trestle_sandbox.sandbox.truth())
    assert summary.deleted == 0
    assert _artifacts(run_id)["listings-census-census-progress"].data == 100.0


def test_a_quarantined_record_is_new_once_then_still_open_with_its_reason_in_the_log(
    engine: Engine, flow_environment: TrestleSettings, trestle_sandbox: Any
) -> None:
    _run(listings_first_load)
    # One timestamp for every change: the next run's overlap window meets the bad record again.
    bad = trestle_sandbox.sandbox.advance(seconds=60, bad_records=1, same_timestamp=True)
    [bad_key] = bad.bad_records
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(QuarantinedRecord)) == 0

    first, first_id = _run(listings_incremental)
    with engine.connect() as conn:
        reason = conn.scalar(
            select(QuarantinedRecord.reason).where(QuarantinedRecord.record_key == bad_key)
        )
    assert reason
    assert (first.quarantined_new, first.quarantined_still_open) == (1, 0)
    assert any(bad_key in line and reason in line for line in _logs(first_id))
    assert "**Quarantine:** 1 new record" in _report(first_id, "listings-incremental-report")

    again, again_id = _run(listings_incremental)
    assert (again.quarantined_new, again.quarantined_still_open) == (0, 1)
    logs = _logs(again_id)
    assert any("still open" in line and bad_key in line for line in logs)
    assert not any("quarantined Property" in line for line in logs)  # not reported as new
    report = _report(again_id, "listings-incremental-report")
    assert "0 new records" in report
    assert "1 quarantined by an earlier run" in report
    assert "1 unresolved in all" in report
    assert again.quarantine_open == 1


def test_a_transient_error_is_retried_in_its_task_only(
    engine: Engine,
    flow_environment: TrestleSettings,
    trestle_sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The client gives up at the first 429 (no retries of its own): the task retry must resume.
    monkeypatch.setenv("WONDER_TRESTLE__MAX_RETRIES", "0")
    trestle_sandbox.sandbox.set_faults(burst_429=1)

    summary, run_id = _run(listings_first_load)

    tasks = _task_runs(run_id)
    assert tasks["listings"].run_count == 2
    assert all(tasks[name].run_count == 1 for name in ("media refresh", "members", "offices"))
    assert _count(engine, Listing) == len(trestle_sandbox.sandbox.truth())
    assert "| listings (Property) |" in _report(run_id, "listings-first-load-report")
    assert summary.per_step["listings"].fetched == len(trestle_sandbox.sandbox.truth())


def test_an_auth_error_is_not_retried_and_stops_the_run(
    engine: Engine, flow_environment: TrestleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WONDER_TRESTLE__CLIENT_SECRET", "not-the-secret")

    state = listings_incremental(return_state=True)

    assert state.is_failed()
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    tasks = _task_runs(run_id)
    assert set(tasks) == {"listings"}  # the rest skipped: the same credentials would fail
    assert tasks["listings"].run_count == 1
    assert tasks["listings"].state.is_failed()
    assert "AuthError" in str(state.result(raise_on_failure=False))
    markdown = _report(run_id, "listings-incremental-report")
    assert "**Failed**: listings, media refresh, members, offices" in markdown
    assert "not-the-secret" not in markdown
    assert _count(engine, Listing) == 0


def test_the_client_secret_can_come_from_a_prefect_secret_block(
    engine: Engine, flow_environment: TrestleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    Secret(value=flow_environment.client_secret.get_secret_value()).save(
        "trestle-client-secret-test", overwrite=True
    )
    # The environment now holds a wrong secret: only the block can make the run succeed.
    monkeypatch.setenv("WONDER_TRESTLE__CLIENT_SECRET", "not-the-secret")

    summary, _ = _run(listings_first_load, trestle_secret_block="trestle-client-secret-test")

    assert summary.requests >= 3
    assert _count(engine, Listing) > 0


def test_an_ingest_refuses_to_run_without_its_concurrency_limit(
    engine: Engine, flow_environment: TrestleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strict limit: a missing limit must stop the run, never let ingests overlap silently.
    monkeypatch.setenv("WONDER_LISTINGS__CONCURRENCY_LIMIT_NAME", "no-such-limit")

    state = listings_incremental(return_state=True)

    assert state.is_failed()
    assert "no-such-limit" in str(state.message) or "no-such-limit" in repr(
        state.result(raise_on_failure=False)
    )
    assert _count(engine, Listing) == 0
