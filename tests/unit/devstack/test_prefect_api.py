"""How devstack reads a flow run's state (no server: Prefect's own models)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from prefect.client.schemas.objects import FlowRun, State
from prefect.states import AwaitingRetry, Completed, Failed, Pending, Running

from devstack.prefect_api import FlowRunOutcome


def _outcome(state: State | None) -> FlowRunOutcome:
    return FlowRunOutcome.of(FlowRun(flow_id=uuid4(), name="brave-otter", state=state))


def test_a_completed_run_succeeded() -> None:
    outcome = _outcome(Completed())
    assert outcome.finished
    assert outcome.succeeded
    assert (outcome.name, outcome.state_type, outcome.state_name) == (
        "brave-otter",
        "COMPLETED",
        "Completed",
    )


@pytest.mark.parametrize("state", [Pending(), Running()], ids=["pending", "running"])
def test_a_run_under_way_is_not_finished(state: State) -> None:
    assert not _outcome(state).finished


def test_a_run_without_state_yet_is_pending() -> None:
    outcome = _outcome(None)
    assert (outcome.state_type, outcome.state_name, outcome.finished) == (
        "PENDING",
        "Pending",
        False,
    )


def test_a_failed_attempt_awaiting_retry_is_reported_now() -> None:
    outcome = _outcome(AwaitingRetry(message="attempt 1 failed"))
    assert outcome.finished
    assert not outcome.succeeded
    assert outcome.message == "attempt 1 failed"


def test_a_failed_run_carries_its_message() -> None:
    outcome = _outcome(Failed(message="boom"))
    assert (outcome.finished, outcome.succeeded, outcome.message) == (True, False, "boom")
