"""Run a flow's resources one at a time, each as a Prefect task, and say what each one did.

Every slice's flow hands :func:`run_steps` its :class:`StepSpec` list (a name, the work bound
to its client and store, a :class:`~flows.retry_policy.RetryPolicy`); for each step this

- runs the work as a Prefect task named after the step (the UI's graph shows one node per
  resource; retries follow the policy and repeat only that resource, from its cursors);
- shows a progress artifact for long steps (``flows.progress``) and logs each committed page;
- asks the core quarantine what the step met (new versus still open) and writes the reasons
  of new records into the flow run's log;
- goes on with the next step after a failure, except after an ``AuthError`` (the same
  credentials would fail every remaining step): those are skipped.

The flow then renders the outcomes (``flows.artifacts``) and fails if a step failed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.orm import Session, sessionmaker

from flows.progress import ProgressBar
from flows.retry_policy import RetryPolicy
from wonder.clients.errors import AuthError
from wonder.ingest.quarantine import QuarantineTally, tally_since
from wonder.ingest.report import Headline

# How many quarantined records a step names in the log, each with its reason.
LOGGED_RECORDS = 10

Progress = Callable[[Any], None]
Logger = logging.Logger | logging.LoggerAdapter[Any]


class Reported(Protocol):
    """What a step's work returns: a report with a headline, requests and the last quota."""

    @property
    def resource(self) -> str: ...

    @property
    def requests(self) -> int: ...

    @property
    def quota(self) -> Any: ...

    def headline(self) -> Headline: ...

    def summary(self) -> str: ...


@dataclass(frozen=True)
class StepSpec:
    """One resource of a flow: ``work(progress)`` does it (resumably) and returns its report."""

    name: str
    work: Callable[[Progress | None], Reported]
    policy: RetryPolicy
    long: bool = False


@dataclass
class StepOutcome:
    """How one step ended: its report (if it completed), the quarantine it met, any failure."""

    name: str
    report: Reported | None = None
    quarantine: Mapping[str, QuarantineTally] = field(default_factory=dict)
    error: str | None = None
    attempts: int = 0
    skipped: bool = False
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.report is not None

    @property
    def quarantined_new(self) -> int:
        return sum(t.new for t in self.quarantine.values())

    @property
    def quarantined_still_open(self) -> int:
        return sum(t.still_open for t in self.quarantine.values())


def run_steps(
    run_name: str,
    steps: Sequence[StepSpec],
    sessions: sessionmaker[Session],
    *,
    log_progress: Callable[[Logger], Progress] | None = None,
    quarantine_hint: str = "",
) -> list[StepOutcome]:
    """Run ``steps`` in order as Prefect tasks (inside a flow run); see the module docstring.

    ``log_progress(logger)`` makes the per-page log callback; ``quarantine_hint`` is the
    command that lists a resource's quarantine (``{resource}`` is filled in).
    """
    logger = get_run_logger()
    outcomes: list[StepOutcome] = []
    stop: str | None = None
    for step in steps:
        if stop is not None:
            outcomes.append(StepOutcome(step.name, error=stop, skipped=True))
            logger.warning("%s skipped: %s", step.name, stop)
            continue
        outcome = _run_step(run_name, step, sessions, log_progress)
        _log_quarantine(logger, step.name, outcome.quarantine, quarantine_hint)
        outcomes.append(outcome)
        if isinstance(outcome.exception, AuthError):
            stop = f"{step.name} failed with AuthError (the same credentials would fail again)"
    return outcomes


def _run_step(
    run_name: str,
    step: StepSpec,
    sessions: sessionmaker[Session],
    log_progress: Callable[[Logger], Progress] | None,
) -> StepOutcome:
    outcome = StepOutcome(step.name)
    bar = (
        ProgressBar(
            f"{slug(run_name)}-{slug(step.name)}-progress",
            f"{run_name}: {step.name}, records read of those the source reported",
        )
        if step.long
        else None
    )

    def attempt() -> Reported:
        outcome.attempts += 1
        page_log = log_progress(get_run_logger()) if log_progress is not None else None
        return step.work(_both(page_log, bar))

    since = datetime.now(UTC)
    as_task = task(
        name=step.name,
        task_run_name=step.name,
        cache_policy=NO_CACHE,
        persist_result=False,
        **step.policy.task_options(),
    )(attempt)
    state = as_task(return_state=True)
    if state.is_completed():
        outcome.report = state.result()
        if bar is not None:
            bar.finish()
    else:
        error = state.result(raise_on_failure=False)
        if isinstance(error, BaseException):
            outcome.exception = error
            outcome.error = f"{type(error).__name__}: {error}"
        else:
            outcome.error = str(state.message)
    with sessions() as session:
        outcome.quarantine = tally_since(session, since, sample=LOGGED_RECORDS)
    return outcome


def _both(first: Progress | None, second: Progress | None) -> Progress | None:
    if first is None or second is None:
        return first or second

    def both(event: Any) -> None:
        first(event)
        second(event)

    return both


def _log_quarantine(
    logger: Logger, step: str, tallies: Mapping[str, QuarantineTally], hint: str
) -> None:
    """New records with their reasons (warnings); records still open in one line each."""
    for resource, tally in tallies.items():
        where = hint.format(resource=resource) or "the quarantine"
        for note in tally.new_records:
            logger.warning(
                "%s: quarantined %s %s: %s",
                step,
                resource,
                note.record_key or "(no key)",
                note.reason,
            )
        if tally.new > len(tally.new_records):
            logger.warning(
                "%s: %d more %s records newly quarantined (%s)",
                step,
                tally.new - len(tally.new_records),
                resource,
                where,
            )
        if tally.still_open:
            keys = ", ".join(n.record_key or "(no key)" for n in tally.still_open_records)
            more = "" if tally.still_open <= len(tally.still_open_records) else ", ..."
            logger.info(
                "%s: %d %s records quarantined by an earlier run are still open (%s%s): %s",
                step,
                tally.still_open,
                resource,
                keys,
                more,
                where,
            )


def slug(text: str) -> str:
    """An artifact key part: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
