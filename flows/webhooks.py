"""Prefect side of the webhook inbox: the event sink the receiver announces stored events with,
and the scheduled drain that processes whatever an event trigger missed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.edge import database, emit, load_settings
from wonder.settings import Settings
from wonder.webhooks.cli import policy_from
from wonder.webhooks.drain import drain
from wonder.webhooks.ports import InboxHandler
from wonder.webhooks.registry import installed_handlers

RECEIVED_EVENT = "wonder.webhooks.received"


class PrefectEventSink:
    """``wonder.webhooks.received`` about ``wonder.webhooks.<source>.<entity>`` (e.g.
    ``wonder.webhooks.buildium.lease.7``): a deployment trigger on it runs the processing."""

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None:
        emit(RECEIVED_EVENT, f"webhooks.{source}.{entity_key}", {"inbox_id": inbox_id})


def prefect_event_sink(settings: Settings) -> PrefectEventSink:
    """The ``wonder.webhook_sinks`` entry point ``prefect``."""
    return PrefectEventSink()


@flow(name="webhooks-drain")
def webhooks_drain() -> dict[str, Any]:
    """Process every pending inbox event with the installed source handlers (coalesced per
    entity); leaves a ``webhooks-drain-report`` artifact."""
    settings = load_settings()
    return drain_and_report(settings, installed_handlers(settings))


def drain_and_report(settings: Settings, handlers: Mapping[str, InboxHandler]) -> dict[str, Any]:
    """The drain flow's body (inside a flow run): drain, then the artifact and the log line."""
    logger = get_run_logger()
    with database(settings) as sessions:
        report = drain(sessions, handlers, policy_from(settings))
    summary: dict[str, Any] = {
        "sources": ", ".join(sorted(handlers)) or "none installed",
        "events processed": report.processed,
        "coalesced": report.coalesced,
        "entities": report.entities,
        "failed": report.failed,
        "dead letters": report.dead_lettered,
    }
    rows = "\n".join(f"| {name} | {value} |" for name, value in summary.items())
    create_markdown_artifact(
        key="webhooks-drain-report",
        markdown=f"# Webhook inbox drain\n\n| | |\n|---|---|\n{rows}\n",
        description="events processed, coalesced, dead letters",
    )
    logger.info("webhook drain: %s", summary)
    return summary
