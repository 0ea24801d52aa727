"""Prefect flows for the Gmail mail ingest: thin wiring around ``wonder.mail.service``.

``mail-sync`` holds the mail slot (``settings.gmail.concurrency_limit_name``: one sync at a
time, so no mailbox's quota is spent by two workers at once) and syncs each mailbox as its own
Prefect task (``flows.steps``; retries only transient and rate-limit errors, and a retried
mailbox resumes from its cursor and fetch queue), then parses and links what those mailboxes
hold unparsed as one more task, ``process`` (``wonder mail process``; it runs after a failed
mailbox too, for the mail the others stored). The run's read / written / deleted are the
mailboxes' (fetched, stored, deleted); the ``process`` row of the report counts messages
parsed and links written. ``mail-backfill`` does the same for a Gmail search
(``MailSync.backfill``: what it matches and is not stored; the history cursors untouched).
``mail-watch-renewal`` renews Gmail push for
every mailbox (daily is advised; a watch lasts 7 days). Both leave a report artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.artifacts import RunSummary, publish_run_artifact, summarize
from flows.edge import database, exclusive, load_settings
from flows.retry_policy import RetryPolicy
from flows.steps import StepSpec, run_steps
from wonder.mail import service
from wonder.mail.process import ProcessReport, process_mailboxes
from wonder.mail.sync import MailSyncReport
from wonder.settings import GmailSettings, Settings

RETRIES = 3
PROCESS_STEP = "process"


class MailSyncFailed(RuntimeError):
    """One or more mailboxes failed (the report artifact says which and why)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        retries=RETRIES,
        backoff_seconds=settings.flows.task_retry_backoff_seconds,
        jitter_factor=settings.flows.task_retry_jitter_factor,
    )


def _sync_one(
    sessions: object, settings: GmailSettings, mailbox: str, _progress: object
) -> MailSyncReport:
    return service.sync_mailbox(sessions, settings, mailbox, clock=_now)  # type: ignore[arg-type]


def _backfill_one(
    sessions: object, settings: GmailSettings, mailbox: str, _progress: object, *, query: str
) -> MailSyncReport:
    return service.backfill_mailbox(sessions, settings, mailbox, query, clock=_now)  # type: ignore[arg-type]


def _process(sessions: object, mailboxes: list[str], _progress: object) -> ProcessReport:
    return process_mailboxes(sessions, mailboxes, clock=_now)  # type: ignore[arg-type]


@flow(name="mail-sync")
def mail_sync(
    mailboxes: list[str] | None = None, gmail_token_block: str | None = None
) -> RunSummary:
    """Bring each mailbox up to date: a full sync the first time, then history from its cursor."""
    return _run_mailboxes("mail-sync", _sync_one, mailboxes, gmail_token_block)


@flow(name="mail-backfill")
def mail_backfill(
    query: str = "in:anywhere",
    mailboxes: list[str] | None = None,
    gmail_token_block: str | None = None,
) -> RunSummary:
    """Fetch what the Gmail search ``query`` matches and is not stored, per mailbox (e.g. mail
    older than the first sync, or rows lost to a restore); the history cursors stay as they
    are. Then the new mail is parsed and linked."""
    return _run_mailboxes(
        "mail-backfill", partial(_backfill_one, query=query), mailboxes, gmail_token_block
    )


def _run_mailboxes(
    name: str,
    one: Callable[[object, GmailSettings, str, object], MailSyncReport],
    mailboxes: list[str] | None,
    gmail_token_block: str | None,
) -> RunSummary:
    """The mail slot → one task per mailbox, then ``process`` → artifact → summary."""
    logger = get_run_logger()
    settings = load_settings({"gmail.token": gmail_token_block})
    chosen = mailboxes or list(settings.gmail.mailboxes)
    unknown = sorted(set(chosen) - set(settings.gmail.mailboxes))
    if unknown:
        raise ValueError(f"not a configured mailbox: {', '.join(unknown)}")
    with exclusive(settings.gmail.concurrency_limit_name), database(settings) as sessions:
        specs = [
            StepSpec(mailbox, partial(one, sessions, settings.gmail, mailbox), _policy(settings))
            for mailbox in chosen
        ]
        specs.append(StepSpec(PROCESS_STEP, partial(_process, sessions, chosen), _policy(settings)))
        outcomes = run_steps(name, specs, sessions)
        reports = [o.report for o in outcomes if isinstance(o.report, MailSyncReport)]
        *synced, processed = outcomes
        summary = summarize(name, synced, requests=sum(r.requests for r in reports))
        summary = replace(
            summary,
            failed=summary.failed + (() if processed.ok else (PROCESS_STEP,)),
            per_step={**summary.per_step, PROCESS_STEP: processed.report},
        )
        units = sum(r.units_used for r in reports)
        publish_run_artifact(
            f"{name}-report",
            summary,
            outcomes,
            source="Gmail",
            quota=f"{units} Gmail quota units used over {len(reports)} mailboxes "
            f"({settings.gmail.regime} regime)",
        )
    if summary.failed:
        reasons = "; ".join(f"{o.name}: {o.error}" for o in outcomes if not o.ok)
        raise MailSyncFailed(f"{summary}. {reasons}")
    logger.info("%s", summary)
    return summary


@flow(name="mail-watch-renewal")
def mail_watch_renewal(gmail_token_block: str | None = None) -> list[str]:
    """``users.watch`` for every mailbox, so Gmail keeps pushing (a watch lasts 7 days)."""
    logger = get_run_logger()
    settings = load_settings({"gmail.token": gmail_token_block})
    renewals = service.renew_watches(settings.gmail)
    table = "\n".join(
        ["| mailbox | from history id | expires |", "| --- | --- | --- |"]
        + [f"| {r.mailbox} | {r.history_id} | {r.expires_at.isoformat()} |" for r in renewals]
    )
    create_markdown_artifact(
        key="mail-watch-renewal-report",
        markdown=f"Renewed Gmail push for {len(renewals)} mailboxes.\n\n{table}",
        description="mail-watch-renewal: each mailbox's watch and when it expires",
    )
    lines = [f"{r.mailbox} until {r.expires_at.isoformat()}" for r in renewals]
    logger.info("watching %s", "; ".join(lines))
    return lines
