"""The drain flow's body in a Prefect run: events processed, coalesced and dead letters reach
the artifact; the Prefect sink names the entity in the event's resource."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prefect import flow
from sqlalchemy.orm import Session

from flows.webhooks import PrefectEventSink, drain_and_report, prefect_event_sink
from tests.integration.flows.test_listing_flows import _report
from wonder.db.uow import unit_of_work
from wonder.settings import Settings
from wonder.webhooks.coalesce import CoalescingSink
from wonder.webhooks.inbox import insert_once
from wonder.webhooks.ports import EntityBatch, VerifiedEvent
from wonder.webhooks.registry import event_sink

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


class PoisonOnNine:
    def handle(self, session: Session, batch: EntityBatch) -> None:
        if batch.entity_key == "lease.9":
            raise ValueError("unresolvable")


def test_the_drain_flow_reports_processed_coalesced_and_dead_letters(sessions, database_url):
    now = datetime.now(UTC)
    with unit_of_work(sessions) as session:
        dialect = session.get_bind().dialect.name
        for key, entity in (("a", "lease.7"), ("b", "lease.7"), ("c", "lease.9")):
            session.execute(insert_once(dialect, VerifiedEvent("buildium", key, entity, {}), now))
    settings = Settings(database_url=database_url)
    settings.webhooks.max_attempts = 1

    @flow
    def drain_under_test() -> dict[str, int]:
        return drain_and_report(settings, {"buildium": PoisonOnNine()})

    state = drain_under_test(return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    assert (summary["events processed"], summary["coalesced"], summary["dead letters"]) == (2, 1, 1)
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    markdown = _report(run_id, "webhooks-drain-report")
    assert "| dead letters | 1 |" in markdown
    assert "| coalesced | 1 |" in markdown


def test_the_prefect_sink_is_the_installed_sink_and_emits_without_failing():
    settings = Settings()
    settings.webhooks.event_sink = "prefect"

    def prefect(sink: object) -> bool:
        return isinstance(sink, CoalescingSink) and isinstance(sink.inner, PrefectEventSink)

    assert prefect(event_sink(settings))
    settings.webhooks.event_sink = "auto"
    assert prefect(event_sink(settings, environ={"PREFECT_API_URL": "http://x"}))
    assert not prefect(event_sink(settings, environ={}))
    prefect_event_sink(settings).emit("buildium", "lease.7", 1)  # advisory: never raises
