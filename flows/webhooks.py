"""Prefect side of the webhook inbox: the event sink the receiver announces stored events with,
the event-triggered processing run, and the scheduled drain that processes whatever a trigger
missed.

``webhooks-process`` is run by a deployment trigger on ``wonder.webhooks.received`` (one event
per stored delivery). A burst of deliveries is absorbed by one run: it drains, waits
``SETTLE_SECONDS`` and drains again until a drain finds nothing, and the deployment cancels a
run triggered while one is still going (``CANCEL_NEW``: the running one picks the event up). An
event stored in the instant between a run's last empty drain and its end waits for the
scheduled ``webhooks-drain`` (every minute). Buildium calls go through the account's Prefect
global rate limit, like the sync flows'.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.edge import database, emit, load_settings
from flows.governor import buildium_governor
from wonder.settings import Settings
from wonder.sync.webhook_handler import BuildiumInboxHandler
from wonder.webhooks.cli import policy_from
from wonder.webhooks.coalesce import CoalescingSink
from wonder.webhooks.drain import DrainReport, drain
from wonder.webhooks.ports import CountsWork, InboxHandler
from wonder.webhooks.registry import installed_handlers

RECEIVED_EVENT = "wonder.webhooks.received"
SETTLE_SECONDS = 1.0


class PrefectEventSink:
    """``wonder.webhooks.received`` about ``wonder.webhooks.<source>.<entity>`` (e.g.
    ``wonder.webhooks.buildium.lease.7``): a deployment trigger on it runs the processing."""

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None:
        emit(RECEIVED_EVENT, f"webhooks.{source}.{entity_key}", {"inbox_id": inbox_id})


def prefect_event_sink(settings: Settings) -> CoalescingSink:
    """The ``wonder.webhook_sinks`` entry point ``prefect``: a burst of deliveries of one source
    is announced once, then once more at the end of ``event_coalesce_seconds``."""
    return CoalescingSink(PrefectEventSink(), settings.webhooks.event_coalesce_seconds)


def flow_handlers(settings: Settings) -> dict[str, InboxHandler]:
    """The installed handlers, the Buildium one on the account's Prefect rate limit."""
    handlers = installed_handlers(settings)
    buildium = handlers.get("buildium")
    if isinstance(buildium, BuildiumInboxHandler):
        buildium.governor = buildium_governor(settings.buildium)
    return handlers


@flow(name="webhooks-drain")
def webhooks_drain() -> dict[str, Any]:
    """Process every pending inbox event with the installed source handlers (coalesced per
    entity); leaves a ``webhooks-drain-report`` artifact."""
    settings = load_settings()
    return drain_and_report(settings, flow_handlers(settings), key="webhooks-drain-report")


@flow(name="webhooks-process")
def webhooks_process(max_rounds: int = 60) -> dict[str, Any]:
    """Triggered by ``wonder.webhooks.received``: drain until the inbox stays empty for
    ``SETTLE_SECONDS`` (at most ``max_rounds`` drains); a ``webhooks-process-report`` artifact."""
    settings = load_settings()
    return drain_and_report(
        settings, flow_handlers(settings), key="webhooks-process-report", rounds=max_rounds
    )


def drain_and_report(
    settings: Settings,
    handlers: Mapping[str, InboxHandler],
    *,
    key: str = "webhooks-drain-report",
    rounds: int = 1,
    settle_seconds: float = SETTLE_SECONDS,
) -> dict[str, Any]:
    """A flow's body (inside a flow run): drain (again after ``settle_seconds`` while a round
    found events, up to ``rounds``), then the artifact and the log line."""
    logger = get_run_logger()
    report = DrainReport()
    with database(settings) as sessions:
        for round_ in range(rounds):
            found = drain(sessions, handlers, policy_from(settings))
            report.add(found)
            if found.claimed == 0 or round_ == rounds - 1:
                break
            time.sleep(settle_seconds)
    summary: dict[str, Any] = {
        "sources": ", ".join(sorted(handlers)) or "none installed",
        "events processed": report.processed,
        "coalesced": report.coalesced,
        "entities": report.entities,
        "failed": report.failed,
        "dead letters": report.dead_lettered,
    }
    for source, handler in sorted(handlers.items()):
        if isinstance(handler, CountsWork):
            summary |= {f"{source}: {what}": n for what, n in handler.counts().items()}
    rows = "\n".join(f"| {name} | {value} |" for name, value in summary.items())
    create_markdown_artifact(
        key=key,
        markdown=f"# Webhook inbox drain\n\n| | |\n|---|---|\n{rows}\n",
        description="events processed, coalesced, dead letters",
    )
    logger.info("webhook drain: %s", summary)
    return summary
