"""The Buildium sync as named steps: the CLI runs them in order, the flows one Prefect task each.

A run is GL accounts, the five paged resources, the ledgers that changed (by GL transaction),
the pending ledgers, then the reconciliation with Buildium's outstanding balances (which also
stores the PM Balance Sheet). ``full`` makes every walk a full read (an ID-set census for
deletes); ``reread_ledgers`` re-reads every live lease's ledger (the nightly check). Each step
resumes from the cursors its committed pages left, so retrying one step is safe.

A step that fails is recorded in ``sync_runs`` as failed, with its reason, in a transaction of
its own (the successful runs are recorded with their last page, by the mirror itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from wonder.clients.buildium import BuildiumClient
from wonder.clients.governor import RateGovernor
from wonder.db.enums import SyncRunStatus
from wonder.db.uow import unit_of_work
from wonder.ingest.report import Headline
from wonder.ingest.runs import RunRecord, record_run
from wonder.settings import Settings
from wonder.sync import mirror_service as mirror
from wonder.sync.buildium_source import ClientSource
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import PAGED, BuildiumSource, Clock, Resource, utc_now
from wonder.sync.reconcile_service import RESOURCE as RECONCILE_RESOURCE
from wonder.sync.reconcile_service import ReconcileOutcome, reconcile_balances

logger = logging.getLogger("wonder.sync.runner")
MAX_ERROR_CHARS = 500


@dataclass
class StepReport:
    """One step's result in the shape every flow renders (``flows.steps.Reported``)."""

    resource: str
    requests: int = 0
    read: int = 0
    written: int = 0
    deleted: int = 0
    note: str = ""
    quota: Any = None
    reconciliation: ReconcileOutcome | None = field(default=None, repr=False)

    def headline(self) -> Headline:
        return Headline(self.read, self.written, self.deleted, self.note)

    def summary(self) -> str:
        text = f"{self.resource}: {self.read} read, {self.written} written, {self.deleted} deleted"
        return f"{text}; {self.note}" if self.note else text


Work = Callable[[BuildiumSource, sessionmaker[Session], Settings, Clock], StepReport]


@dataclass(frozen=True)
class Step:
    name: str
    # Its name in ``sync_runs`` and the cursors (e.g. ``buildium:leases``).
    resource: str
    work: Work


def _walk(resource: Resource, full: bool) -> Work:
    def work(
        source: BuildiumSource, sessions: sessionmaker[Session], settings: Settings, clock: Clock
    ) -> StepReport:
        report = mirror.MirrorReport()
        mirror.walk(
            source,
            sql_units(sessions),
            resource,
            settings.buildium_sync,
            report,
            full=full,
            clock=clock,
        )
        stats = report.of(resource)
        notes = [f"{stats.pages} pages", f"census {stats.census}"]
        if stats.held_delete_id is not None:
            notes.append(f"mass delete held as #{stats.held_delete_id}")
        if stats.quarantined:
            notes.append(f"{stats.quarantined} quarantined")
        return StepReport(
            resource.label,
            read=stats.fetched,
            written=stats.written,
            deleted=stats.deleted,
            note=", ".join(notes),
        )

    return work


def _gl_accounts(
    source: BuildiumSource, sessions: sessionmaker[Session], settings: Settings, clock: Clock
) -> StepReport:
    report = mirror.MirrorReport()
    mirror.sync_gl_accounts(source, sql_units(sessions), settings.buildium_sync, report, clock)
    stats = report.of(Resource.GL_ACCOUNTS)
    return StepReport(
        Resource.GL_ACCOUNTS.label,
        read=stats.fetched,
        written=stats.written,
        deleted=stats.deleted,
    )


def _ledgers(reread_all: bool) -> Work:
    def work(
        source: BuildiumSource, sessions: sessionmaker[Session], settings: Settings, clock: Clock
    ) -> StepReport:
        report, units = mirror.MirrorReport(), sql_units(sessions)
        mirror.find_changed_ledgers(source, units, settings.buildium_sync, report, clock)
        if reread_all:
            with units() as store:
                store.mark_ledgers_pending(store.live_ids(Resource.LEASES))
        mirror.refresh_ledgers(
            source,
            units,
            report,
            batch_size=settings.buildium_sync.ledger_batch_size,
            clock=clock,
        )
        return StepReport(
            Resource.LEASE_TRANSACTIONS.label,
            read=report.ledgers_read,
            written=report.ledger_transactions_written,
            note=f"{report.ledgers_changed} ledgers changed since the last run, "
            f"{report.ledgers_read} re-read",
        )

    return work


def _reconcile(
    source: BuildiumSource, sessions: sessionmaker[Session], settings: Settings, clock: Clock
) -> StepReport:
    outcome = reconcile_balances(source, sessions, clock=clock)
    result = outcome.result
    return StepReport(
        RECONCILE_RESOURCE,
        read=len(result.lines),
        written=outcome.rows_written,
        note=result.summary(),
        reconciliation=outcome,
    )


def plan(*, full: bool = False, reread_ledgers: bool = False) -> tuple[Step, ...]:
    """The steps of one run, in order (a lease's unit and tenants are mirrored before it)."""
    walks = tuple(Step(r.value, r.label, _walk(r, full)) for r in PAGED)
    return (
        Step("gl accounts", Resource.GL_ACCOUNTS.label, _gl_accounts),
        *walks,
        Step("ledgers", Resource.LEASE_TRANSACTIONS.label, _ledgers(reread_ledgers)),
        Step("reconciliation", RECONCILE_RESOURCE, _reconcile),
    )


def run_step(
    step: Step,
    source: BuildiumSource,
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: Clock = utc_now,
) -> StepReport:
    """One step, its requests counted; a failure is recorded in ``sync_runs``, then raised."""
    started, before = clock(), source.requests_made
    try:
        report = step.work(source, sessions, settings, clock)
    except Exception as error:
        record_failure(sessions, step, started, error, clock)
        raise
    report.requests = source.requests_made - before
    return report


def run_all(
    steps: Sequence[Step],
    source: BuildiumSource,
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: Clock = utc_now,
    on_step: Callable[[Step, StepReport], None] | None = None,
) -> list[StepReport]:
    """Every step in order (the CLI); the first failure stops the run."""
    reports = []
    for step in steps:
        report = run_step(step, source, sessions, settings, clock)
        reports.append(report)
        if on_step is not None:
            on_step(step, report)
    return reports


def record_failure(
    sessions: sessionmaker[Session],
    step: Step,
    started: datetime,
    error: BaseException,
    clock: Clock,
) -> None:
    """A failed step as a ``sync_runs`` row: what failed and why (never a secret: the client's
    errors carry none), so ``ListSyncRuns`` shows failures as well as successes."""
    reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    try:
        with unit_of_work(sessions) as session:
            record_run(
                session,
                RunRecord(
                    mirror.PIPELINE,
                    step.resource,
                    started,
                    clock(),
                    status=SyncRunStatus.FAILED,
                    error=reason,
                ),
            )
    except Exception:  # the database may be why the step failed: the log keeps the reason
        logger.exception("could not record the failed %s step (%s)", step.name, reason)


@contextmanager
def buildium_source(
    settings: Settings, governor: RateGovernor | None = None
) -> Iterator[ClientSource]:
    """The account's client behind the mirror's source port; ``governor`` is the account's
    rate limit (default: the in-process bucket; flows pass the Prefect global limit)."""
    with BuildiumClient(settings.buildium, governor=governor) as client:
        yield ClientSource(client)
