"""Buildium changes reach the mirror and the PM Balance Sheet through signed webhooks (sandbox →
real receiver over HTTP → inbox → drain → the ``buildium`` handler), and through the scheduled
sync when the webhook is lost; on both databases.

The oracle is the sandbox: its records as it serves them over HTTP, its ledger (``/_sandbox/
truth``) and its outstanding balances. The sandbox clock is frozen at the wall clock's now, so
the signatures' timestamps pass the receiver's ±300 s window.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.buildium_fixtures import RunningBuildium
from tests.integration.sync.test_buildium_end_to_end import (
    PORTFOLIO,
    SETTINGS,
    assert_balances_are_the_truth,
    expected_state,
    mirror,
    mirrored_state,
    reconcile,
    source_for,
    truth,
)
from tests.webhook_fixtures import SECRET, Receiver
from wonder.clients.buildium import BuildiumClient
from wonder.clients.errors import AuthError
from wonder.db.enums import InboxStatus, SyncRunStatus
from wonder.db.models import (
    BuildiumLease,
    BuildiumRental,
    BuildiumTenant,
    BuildiumUnit,
    SyncRun,
)
from wonder.db.models.buildium import MirroredRecord
from wonder.settings import Settings
from wonder.sync.buildium_source import ClientSource
from wonder.sync.ports import Resource
from wonder.sync.runner import Step, plan, run_all, run_step
from wonder.sync.webhook_handler import BuildiumInboxHandler
from wonder.webhooks.drain import DrainPolicy, DrainReport, drain
from wonder.webhooks.inbox import dead_letters, replay

# Served list path → our table (owners send no webhooks, so they are the scheduled sync's).
SERVED: dict[str, type[MirroredRecord]] = {
    "/v1/rentals": BuildiumRental,
    "/v1/rentals/units": BuildiumUnit,
    "/v1/leases/tenants": BuildiumTenant,
    "/v1/leases": BuildiumLease,
}
CHANGES = {"seconds": 60, "payments": 6, "edits": 6, "new_leases": 2, "ended_leases": 2}
POLICY = DrainPolicy(max_attempts=2, claim_lease_seconds=60, batch_size=100)


@pytest.fixture
def live(http_buildium: Any) -> RunningBuildium:
    """The test portfolio with its clock at the wall clock (signatures within the window)."""
    running: RunningBuildium = http_buildium(**PORTFOLIO, start_time=datetime.now(UTC))
    return running


def handler_for(running: RunningBuildium) -> BuildiumInboxHandler:
    settings = Settings(buildium=running.settings, buildium_sync=SETTINGS)
    return BuildiumInboxHandler(
        settings, source=lambda: nullcontext(source_for(running)), clock=running.sandbox.clock.now
    )


def served(running: RunningBuildium) -> dict[str, dict[int, Any]]:
    """Every record as the sandbox serves it now (one page each: the portfolio is small)."""
    out = {}
    with running.raw() as http:
        for path in SERVED:
            answer = http.get(path, params={"limit": 1000, "orderby": "Id asc"})
            answer.raise_for_status()
            out[path] = {int(r["Id"]): r for r in answer.json()}
    return out


def stored(sessions: sessionmaker[Session]) -> dict[str, dict[int, Any]]:
    with sessions() as session:
        return {
            path: {
                int(r["Id"]): r
                for r in session.scalars(select(model.raw).where(model.deleted_at.is_(None)))
            }
            for path, model in SERVED.items()
        }


def deliver(running: RunningBuildium, receiver: Receiver) -> int:
    """Send every webhook that is due (an advance sends its own); how many were accepted."""
    running.sandbox.outbox.pump()
    return sum(1 for a in running.sandbox.outbox.attempts if a.ok)


def assert_mirrors(sessions: sessionmaker[Session], running: RunningBuildium) -> None:
    ours, theirs = stored(sessions), served(running)
    for path in SERVED:
        differ = {
            i: sorted(
                k
                for k in {*ours[path].get(i, {}), *theirs[path].get(i, {})}
                if ours[path].get(i, {}).get(k) != theirs[path].get(i, {}).get(k)
            )
            for i in {*ours[path], *theirs[path]}
            if ours[path].get(i) != theirs[path].get(i)
        }
        assert not differ, f"{path}: ours and Buildium's differ (id: fields): {differ}"


def change(running: RunningBuildium, **changes: int) -> dict[str, Any]:
    answer = httpx.post(f"{running.base_url}/_sandbox/advance", json={**CHANGES, **changes})
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def drain_all(sessions: sessionmaker[Session], handler: BuildiumInboxHandler) -> DrainReport:
    return drain(sessions, {"buildium": handler}, POLICY)


def inbox(sessions: sessionmaker[Session]) -> list[tuple[str, InboxStatus]]:
    from wonder.db.models import WebhookInboxEvent

    with sessions() as session:
        return [
            (r.entity_key, r.status)
            for r in session.scalars(select(WebhookInboxEvent).order_by(WebhookInboxEvent.id))
        ]


def test_changes_reach_the_mirror_and_the_balance_sheet_through_signed_webhooks(
    live: RunningBuildium, start_receiver: Callable[..., Receiver], sessions: sessionmaker[Session]
) -> None:
    mirror(live, sessions)
    receiver = start_receiver()
    live.sandbox.set_webhook(f"{receiver.url}/webhooks/buildium", SECRET)
    result = change(live)
    accepted = deliver(live, receiver)
    assert accepted == result["events"] > 0
    keys = [key for key, _ in inbox(sessions)]
    # Payments arrive as LeaseTransaction events, which name no lease.
    assert any(key.startswith("leasetransaction.") for key in keys)

    report = drain_all(sessions, handler_for(live))
    assert (report.failed, report.dead_lettered) == (0, 0)
    assert report.processed == len(keys)
    assert {status for _, status in inbox(sessions)} == {InboxStatus.DONE}
    assert_mirrors(sessions, live)
    t = truth(live)
    assert mirrored_state(sessions)["ledgers"] == expected_state(t)["ledgers"]
    # The balance sheet the handler stored is Buildium's, to the cent: reconciling writes nothing.
    outcome = reconcile(live, sessions)
    assert_balances_are_the_truth(outcome, t)
    assert outcome.rows_written == 0


def test_duplicated_and_reordered_webhooks_leave_the_same_state(
    live: RunningBuildium, start_receiver: Callable[..., Receiver], sessions: sessionmaker[Session]
) -> None:
    mirror(live, sessions)
    receiver = start_receiver()
    live.sandbox.set_webhook(f"{receiver.url}/webhooks/buildium", SECRET)
    change(live)
    deliver(live, receiver)
    with sessions() as session:
        from wonder.db.models import WebhookInboxEvent

        payloads = [r.payload for r in session.scalars(select(WebhookInboxEvent))]
    handler = handler_for(live)
    drain_all(sessions, handler)
    before = (stored(sessions), mirrored_state(sessions))
    # The same events again, newest first, under new event times (not deduplicated): a late or
    # repeated event re-reads the current state and changes nothing.
    from tests.webhook_fixtures import compact, signed_headers

    for n, payload in enumerate(reversed(payloads)):
        body = compact({**payload, "EventDateTime": f"2026-12-02T06:00:{n % 60:02d}Z"})
        assert receiver.post("/webhooks/buildium", body, signed_headers(body)).status_code == 200
    again = drain_all(sessions, handler)
    assert again.processed == len(payloads)
    assert again.failed == 0
    assert (stored(sessions), mirrored_state(sessions)) == before


def test_a_lost_webhook_is_caught_by_the_scheduled_sync(
    live: RunningBuildium, sessions: sessionmaker[Session]
) -> None:
    mirror(live, sessions)
    # No webhook target: every event is lost. Payments touch no lease: only the GL transactions
    # say which ledgers changed.
    assert change(live, new_leases=0, ended_leases=0)["transactions"] > 0
    source = source_for(live)
    settings = Settings(buildium=live.settings, buildium_sync=SETTINGS)
    # The mirror steps alone (the reconciliation's repair would mask a missed ledger).
    mirror_steps = plan()[:-1]
    run_all(mirror_steps, source, sessions, settings, clock=live.sandbox.clock.now)
    assert_mirrors(sessions, live)
    t = truth(live)
    assert mirrored_state(sessions) == expected_state(t)
    assert_balances_are_the_truth(reconcile(live, sessions), t)


def test_a_deleted_record_is_soft_deleted_by_its_webhook(
    live: RunningBuildium, start_receiver: Callable[..., Receiver], sessions: sessionmaker[Session]
) -> None:
    mirror(live, sessions)
    receiver = start_receiver()
    tenant_id = max(live.sandbox.store.records["tenants"])
    del live.sandbox.store.records["tenants"][tenant_id]
    from tests.webhook_fixtures import compact, signed_headers

    body = compact(
        {
            "EventName": "LeaseTenant.Deleted",
            "EventDateTime": "2026-12-02T05:00:00Z",
            "AccountId": 1,
            "TenantId": tenant_id,
        }
    )
    assert receiver.post("/webhooks/buildium", body, signed_headers(body)).status_code == 200
    assert drain_all(sessions, handler_for(live)).processed == 1
    with sessions() as session:
        row = session.get(BuildiumTenant, tenant_id)
        assert row is not None
        assert row.deleted_at is not None


def test_an_unresolvable_transaction_is_dead_lettered_with_its_reason_and_replays(
    live: RunningBuildium, start_receiver: Callable[..., Receiver], sessions: sessionmaker[Session]
) -> None:
    mirror(live, sessions)
    receiver = start_receiver()
    from tests.webhook_fixtures import compact, signed_headers

    body = compact(
        {
            "EventName": "LeaseTransaction.Created",
            "EventDateTime": "2026-12-02T05:00:00Z",
            "AccountId": 1,
            "TransactionId": 987654321,
        }
    )
    receiver.post("/webhooks/buildium", body, signed_headers(body))
    handler = handler_for(live)
    first, second = drain_all(sessions, handler), drain_all(sessions, handler)
    assert first.failed == 1
    assert second.dead_lettered == 1
    with sessions() as session:
        [dead] = dead_letters(session)
        assert dead.last_error is not None
        assert "987654321" in dead.last_error
        assert "no mirrored ledger" in dead.last_error
    with sessions.begin() as session:
        assert replay(session, [dead.id]) == 1
    assert inbox(sessions)[-1][1] is InboxStatus.PENDING


def test_a_failed_step_is_recorded_as_a_failed_run(
    live: RunningBuildium, sessions: sessionmaker[Session]
) -> None:
    settings = Settings(buildium=live.settings, buildium_sync=SETTINGS)
    secret = SecretStr("nope-x1")
    step: Step = plan()[1]  # rentals
    wrong = live.settings.model_copy(update={"client_secret": secret})
    with BuildiumClient(wrong) as client, pytest.raises(AuthError):
        run_step(step, ClientSource(client), sessions, settings, clock=live.sandbox.clock.now)
    with sessions() as session:
        [run] = session.scalars(select(SyncRun)).all()
    assert (run.resource, run.status) == (Resource.RENTALS.label, SyncRunStatus.FAILED)
    assert run.error
    assert "nope-x1" not in run.error
