"""The listing flows wired end to end in-process: sandbox over HTTP → database, plus artifacts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select

from flows.listings import listings_census, listings_first_load, listings_incremental
from wonder.db.models import Listing, Member, Office
from wonder.settings import TrestleSettings

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def _artifact_markdown(flow_run_id: UUID, key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )
    assert len(artifacts) == 1, f"expected one {key} artifact for the run"
    assert artifacts[0].type == "markdown"
    return str(artifacts[0].data)


def _run(flow: Any, **parameters: Any) -> tuple[dict[str, Any], UUID]:
    """Run a flow without retries (a failure must fail the test now); return (summary, run id)."""
    state = flow.with_options(retries=0)(return_state=True, **parameters)
    assert state.is_completed(), state.message
    return state.result(), state.state_details.flow_run_id


def test_first_load_then_incremental_then_census(
    engine: Engine, flow_environment: TrestleSettings, trestle_sandbox
) -> None:
    summary, run_id = _run(listings_first_load)

    stored = _count(engine, Listing) + _count(engine, Member) + _count(engine, Office)
    assert _count(engine, Listing) > 0
    assert summary["inserted"] == stored
    assert summary["requests"] >= 3  # token aside: Property, Member and Office at least
    markdown = _artifact_markdown(run_id, "listings-first-load-report")
    assert "| Property |" in markdown
    assert f"**Trestle requests this run:** {summary['requests']}" in markdown
    assert "used in this window" in markdown  # the quota the run left behind

    listings_before = _count(engine, Listing)
    trestle_sandbox.sandbox.advance(seconds=600, price_changes=3, new_listings=2)
    summary, run_id = _run(listings_incremental)
    assert _count(engine, Listing) == listings_before + 2
    # Every touched listing is accounted for (a changed record may be quarantined as invalid).
    assert summary["inserted"] + summary["updated"] + summary["quarantined"] >= 5
    assert "| Property | incremental |" in _artifact_markdown(run_id, "listings-incremental-report")

    summary, run_id = _run(listings_census)
    assert summary["source_keys"] >= _count(engine, Listing)
    assert summary["deleted"] == 0
    assert "| Property |" in _artifact_markdown(run_id, "listings-census-report")


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

    assert summary["requests"] >= 3
    assert _count(engine, Listing) > 0


def test_an_ingest_refuses_to_run_without_its_concurrency_limit(
    engine: Engine, flow_environment: TrestleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strict limit: a missing limit must stop the run, never let ingests overlap silently.
    monkeypatch.setenv("WONDER_LISTINGS__CONCURRENCY_LIMIT_NAME", "no-such-limit")

    state = listings_incremental.with_options(retries=0)(return_state=True)

    assert state.is_failed()
    assert "no-such-limit" in str(state.message) or "no-such-limit" in repr(
        state.result(raise_on_failure=False)
    )
    assert _count(engine, Listing) == 0
