"""The one retry policy of every flow's tasks: only errors another attempt can fix are retried.

Retried (after exponential backoff with jitter):
- ``TransientError`` and ``RateLimited`` (``wonder.clients.errors``): the client already retried
  each request; the task retry is for a longer outage or an exhausted quota window;
- a database that is unreachable (``DatabaseNotReady`` in the *unreachable* state) or a
  connection lost mid-run (SQLAlchemy's ``connection_invalidated``).

Never retried: ``AuthError`` (credentials or configuration), ``PermanentError`` (the request
itself is wrong), an unmigrated database, and anything else (a bug does not heal by waiting).

A retried task re-runs its resource from the cursors its pages committed, so nothing committed
is read or written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import Task, exponential_backoff
from sqlalchemy.exc import DBAPIError

from wonder.clients.errors import AuthError, PermanentError, RateLimited, TransientError
from wonder.db.readiness import DatabaseNotReady, DatabaseState

RETRYABLE = (TransientError, RateLimited)
NEVER_RETRIED = (AuthError, PermanentError)


def is_retryable(error: BaseException) -> bool:
    """Would another attempt of the same work possibly succeed?"""
    if isinstance(error, NEVER_RETRIED):
        return False
    if isinstance(error, RETRYABLE):
        return True
    if isinstance(error, DatabaseNotReady):
        return error.readiness.state is DatabaseState.UNREACHABLE
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return False


def why_not_retried(error: BaseException) -> str:
    """One line for the run's log: why a failure ends the task at once."""
    if isinstance(error, AuthError):
        return "credentials or configuration rejected: fix them, then run again"
    if isinstance(error, PermanentError):
        return "the source refused the request itself: retrying cannot help"
    if isinstance(error, DatabaseNotReady):
        return "the database is not migrated: run `wonder migrate`"
    return "not a transient error"


def retry_transient_only(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect's ``retry_condition_fn``: retry the failed attempt only if :func:`is_retryable`."""
    error = state.data if isinstance(state.data, BaseException) else None
    if error is None:
        error = state.result(raise_on_failure=False)
    if not isinstance(error, BaseException):
        return False
    if is_retryable(error):
        return True
    get_run_logger().error(
        "%s failed with %s, not retried: %s (%s)",
        task.name,
        type(error).__name__,
        error,
        why_not_retried(error),
    )
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """How often a task is retried; retry ``n`` waits ``backoff_seconds * 2**n`` +/- jitter."""

    retries: int
    backoff_seconds: float = 30.0
    jitter_factor: float = 0.5

    def delays(self) -> list[float]:
        return exponential_backoff(self.backoff_seconds)(self.retries)

    def task_options(self) -> dict[str, Any]:
        """Keyword arguments for ``prefect.task`` / ``Task.with_options``."""
        return {
            "retries": self.retries,
            "retry_delay_seconds": self.delays(),
            "retry_jitter_factor": self.jitter_factor or None,
            "retry_condition_fn": retry_transient_only,
        }
