"""Prefect flows for the Buildium mirror and the PM Balance Sheet: thin wiring around
``wonder.sync.runner``.

``buildium-incremental`` mirrors what changed since the cursors (everything on the first run),
then reconciles with Buildium's outstanding balances; ``buildium-reconciliation`` (nightly) reads
everything (an ID-set census finds deletes, mass deletes are held) and re-reads every ledger
before it reconciles. Both hold the Buildium sync slot (``settings.buildium_sync
.concurrency_limit_name``) and send every request through the account's Prefect global rate
limit (``flows.governor.buildium_governor``, strict), so no worker mix exceeds 10 requests/s.
Each step is a Prefect task (``flows.steps``) retried on transient and rate-limit errors only; a
retried step resumes from the cursors its committed pages left. The run ends with a
``<name>-report`` artifact (counts per resource, requests, the reconciliation named lease by
lease) and a :class:`~flows.artifacts.RunSummary`; it fails if a step failed.
"""

from __future__ import annotations

from functools import partial

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.artifacts import RunSummary, publish_run_artifact, summarize
from flows.edge import database, exclusive, load_settings
from flows.governor import buildium_governor
from flows.retry_policy import RetryPolicy
from flows.steps import Progress, StepOutcome, StepSpec, run_steps
from wonder.ingest.quarantine import open_counts
from wonder.sync.runner import Step, StepReport, buildium_source, plan, run_step

QUARANTINE_HINT = "wonder status"
MAX_MISMATCHES_SHOWN = 100


class BuildiumSyncFailed(RuntimeError):
    """One or more steps of a run failed (the report artifact says which and why)."""


def _run(name: str, steps: tuple[Step, ...], client_secret_block: str | None) -> RunSummary:
    logger = get_run_logger()
    settings = load_settings({"buildium.client_secret": client_secret_block})
    policy = RetryPolicy(
        retries=2,
        backoff_seconds=settings.flows.task_retry_backoff_seconds,
        jitter_factor=settings.flows.task_retry_jitter_factor,
    )
    with (
        exclusive(settings.buildium_sync.concurrency_limit_name),
        database(settings) as sessions,
        buildium_source(settings, buildium_governor(settings.buildium)) as source,
    ):

        def work(step: Step, _progress: Progress | None) -> StepReport:
            return run_step(step, source, sessions, settings)

        specs = [StepSpec(step.name, partial(work, step), policy) for step in steps]
        outcomes = run_steps(name, specs, sessions, quarantine_hint=QUARANTINE_HINT)
        with sessions() as session:
            unresolved = sum(open_counts(session).values())
        summary = summarize(
            name, outcomes, requests=source.requests_made, quarantine_open=unresolved
        )
        limit = settings.buildium
        publish_run_artifact(
            f"{name}-report",
            summary,
            outcomes,
            source="Buildium",
            quota=f"{source.requests_made} requests, at most {limit.rate_per_second:g}/s "
            f"(Prefect rate limit {limit.rate_limit_name!r})",
            quarantine_hint=QUARANTINE_HINT,
        )
        _publish_reconciliation(name, outcomes)
    if summary.failed:
        reasons = "; ".join(f"{o.name}: {o.error}" for o in outcomes if not o.ok)
        raise BuildiumSyncFailed(f"{summary}. {reasons}")
    logger.info("%s", summary)
    return summary


def _publish_reconciliation(name: str, outcomes: list[StepOutcome]) -> None:
    """The reconciliation's own artifact: matched, or every differing lease (first 100)."""
    last = outcomes[-1].report if outcomes else None
    outcome = last.reconciliation if isinstance(last, StepReport) else None
    if outcome is None:
        return
    result = outcome.result
    lines = [
        f"# Reconciliation run {outcome.run_id}",
        f"{len(result.lines)} leases compared with Buildium's outstanding balances; "
        f"{len(result.mismatches)} differ; {outcome.ledgers_reread} ledgers re-read to repair; "
        f"{outcome.rows_written} balance-sheet rows written.",
    ]
    if result.mismatches:
        lines.append("| lease | status | ours | Buildium | difference |\n|---|---|---|---|---|")
        lines[-1] += "".join(
            f"\n| {m.lease_id} | {m.status} | {m.ours} | {m.theirs} | {m.difference} |"
            for m in result.mismatches[:MAX_MISMATCHES_SHOWN]
        )
        if len(result.mismatches) > MAX_MISMATCHES_SHOWN:
            lines.append(
                f"… and {len(result.mismatches) - MAX_MISMATCHES_SHOWN} more: "
                "`GetBalanceSheet` / the reconciliation tables hold them all."
            )
    create_markdown_artifact(
        key=f"{name}-reconciliation",
        markdown="\n\n".join(lines),
        description=f"{name}: our balances against Buildium's, to the cent",
    )


@flow(name="buildium-incremental")
def buildium_incremental(buildium_secret_block: str | None = None) -> RunSummary:
    """Mirror what changed in Buildium since the cursors (all of it the first time), re-read the
    ledgers that changed, reconcile, store the PM Balance Sheet."""
    return _run("buildium-incremental", plan(), buildium_secret_block)


@flow(name="buildium-reconciliation")
def buildium_reconciliation(buildium_secret_block: str | None = None) -> RunSummary:
    """Read everything (an ID-set census for deletes), re-read every ledger, reconcile."""
    return _run(
        "buildium-reconciliation", plan(full=True, reread_ledgers=True), buildium_secret_block
    )
