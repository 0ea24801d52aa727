"""Prefect flows for the MLS listing ingest: thin wiring around ``wonder.listings.service``.

Each flow holds the ingest slot (``settings.listings.concurrency_limit_name``: a first load, an
incremental run and a census never write the listing tables at once), then runs the service's
steps one resource at a time as Prefect tasks (``flows.steps``): listings, their media, agents,
offices, or the census. Retries are per task (``flows.retry_policy``): only transient and
rate-limit errors are retried, with exponential backoff and jitter, and a retried task resumes
from the cursors its committed pages left. The run ends with a ``<name>-report`` artifact and a
:class:`~flows.artifacts.RunSummary`; it fails if a resource failed.
"""

from __future__ import annotations

from functools import partial

from prefect import flow, get_run_logger
from sqlalchemy.orm import Session, sessionmaker

from flows.artifacts import RunSummary, publish_run_artifact, summarize
from flows.edge import database, exclusive, load_settings
from flows.retry_policy import RetryPolicy
from flows.steps import StepSpec, run_steps
from wonder.clients.trestle import TrestleClient
from wonder.ingest.quarantine import open_counts
from wonder.listings import service
from wonder.listings.ports import Progress, utc_now
from wonder.listings.report import progress_logger
from wonder.settings import Settings

# Retries per resource: the long walks get one more (each retry resumes where it stopped).
RETRIES = {"listings": 3, "media refresh": 2, "members": 2, "offices": 2, "census": 2}
QUARANTINE_HINT = "wonder listings quarantine list --resource {resource}"


class IngestFailed(RuntimeError):
    """One or more resources of a run failed (the report artifact says which and why)."""


def policy_for(step: str, settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        retries=RETRIES.get(step, 2),
        backoff_seconds=settings.flows.task_retry_backoff_seconds,
        jitter_factor=settings.flows.task_retry_jitter_factor,
    )


def _run_ingest(
    name: str,
    steps: tuple[service.Step, ...],
    trestle_secret_block: str | None,
    *,
    analyze: bool = False,
) -> RunSummary:
    """Settings → the ingest slot → one task per step → artifact → summary (or IngestFailed)."""
    logger = get_run_logger()
    settings = load_settings({"trestle.client_secret": trestle_secret_block})
    with (
        exclusive(settings.listings.concurrency_limit_name),
        database(settings) as sessions,
        TrestleClient(settings.trestle) as client,
    ):
        specs = [
            StepSpec(
                step.name,
                partial(_work, step, client, sessions, settings),
                policy_for(step.name, settings),
                long=step.long,
            )
            for step in steps
        ]
        outcomes = run_steps(
            name, specs, sessions, log_progress=progress_logger, quarantine_hint=QUARANTINE_HINT
        )
        if analyze and any(o.ok for o in outcomes):  # the planner's statistics after bulk writes
            service.analyze(sessions)
        with sessions() as session:
            unresolved = sum(open_counts(session).values())
        summary = summarize(
            name, outcomes, requests=client.requests_made, quarantine_open=unresolved
        )
        publish_run_artifact(
            f"{name}-report",
            summary,
            outcomes,
            source="Trestle",
            quota=client.quota,
            quarantine_hint=QUARANTINE_HINT,
        )
    if summary.failed:
        reasons = "; ".join(f"{o.name}: {o.error}" for o in outcomes if not o.ok)
        raise IngestFailed(f"{summary}. {reasons}")
    logger.info("%s", summary)
    return summary


def _work(
    step: service.Step,
    client: TrestleClient,
    sessions: sessionmaker[Session],
    settings: Settings,
    progress: Progress | None,
) -> service.Report:
    return step.run(client, sessions, settings.listings, progress, utc_now)


@flow(name="listings-first-load")
def listings_first_load(trestle_secret_block: str | None = None) -> RunSummary:
    """Replicate every listing (with media), agent and office; resumes after a crash."""
    return _run_ingest(
        "listings-first-load", service.FIRST_LOAD, trestle_secret_block, analyze=True
    )


@flow(name="listings-incremental")
def listings_incremental(trestle_secret_block: str | None = None) -> RunSummary:
    """Apply what changed at the source since the cursors (listings, media, agents, offices)."""
    return _run_ingest("listings-incremental", service.INCREMENTAL, trestle_secret_block)


@flow(name="listings-census")
def listings_census(trestle_secret_block: str | None = None) -> RunSummary:
    """Find listings deleted at the source by key census (mass deletes are held for approval)."""
    return _run_ingest("listings-census", service.CENSUS, trestle_secret_block, analyze=True)
