"""The task retry policy: which errors another attempt may fix, and the backoff it declares."""

from __future__ import annotations

from typing import Any

import pytest
from prefect.states import Completed, Failed
from sqlalchemy.exc import OperationalError

from flows import retry_policy
from flows.retry_policy import RetryPolicy, is_retryable, retry_transient_only
from wonder.clients.errors import AuthError, PermanentError, RateLimited, TransientError
from wonder.db.readiness import DatabaseNotReady, DatabaseState, Readiness


def _not_ready(state: DatabaseState) -> DatabaseNotReady:
    return DatabaseNotReady(Readiness("sqlite:///x.db", state, reason="refused", head="0002"))


def _lost_connection(invalidated: bool) -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, Exception("server closed"), connection_invalidated=invalidated
    )


RETRIED: list[BaseException] = [
    TransientError("Trestle gave up after 7 attempts: 503"),
    RateLimited("Trestle gave up after 7 attempts: 429", retry_after=60),
    _not_ready(DatabaseState.UNREACHABLE),
    _lost_connection(True),
]
NOT_RETRIED: list[BaseException] = [
    AuthError("Trestle rejected the client credentials"),
    PermanentError("Trestle 400 on GET /Property", status=400),
    _not_ready(DatabaseState.NOT_MIGRATED),
    _lost_connection(False),
    ValueError("a bug"),
    KeyError("ListingKey"),
]


@pytest.mark.parametrize("error", RETRIED, ids=lambda e: type(e).__name__)
def test_transient_rate_limit_and_lost_database_errors_are_retried(error: BaseException) -> None:
    assert is_retryable(error)


@pytest.mark.parametrize("error", NOT_RETRIED, ids=lambda e: type(e).__name__)
def test_auth_permanent_unmigrated_and_other_errors_are_never_retried(
    error: BaseException,
) -> None:
    assert not is_retryable(error)


class _Task:
    name = "listings"


class _Logger:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def error(self, message: str, *args: Any) -> None:
        self.lines.append(message % args)


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    logger = _Logger()
    monkeypatch.setattr(retry_policy, "get_run_logger", lambda: logger)
    return logger.lines


def test_the_prefect_condition_reads_the_failed_state(logged: list[str]) -> None:
    task: Any = _Task()
    assert retry_transient_only(task, None, Failed(data=TransientError("503")))  # type: ignore[arg-type]
    assert logged == []
    assert not retry_transient_only(task, None, Failed(data=AuthError("bad secret")))  # type: ignore[arg-type]
    assert len(logged) == 1
    assert "listings failed with AuthError, not retried" in logged[0]
    assert "credentials" in logged[0]
    assert not retry_transient_only(task, None, Completed(data=1))  # type: ignore[arg-type]


def test_the_policy_declares_exponential_backoff_with_jitter_and_the_condition() -> None:
    options = RetryPolicy(retries=3, backoff_seconds=10, jitter_factor=0.5).task_options()
    assert options["retries"] == 3
    assert options["retry_delay_seconds"] == [10, 20, 40]
    assert options["retry_jitter_factor"] == 0.5
    assert options["retry_condition_fn"] is retry_transient_only
    assert (
        RetryPolicy(retries=2, backoff_seconds=0, jitter_factor=0).task_options()[
            "retry_jitter_factor"
        ]
        is None
    )
