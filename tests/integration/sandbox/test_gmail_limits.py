"""Quota in both regimes, the batch endpoint's limits and per-part failures, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from tests.gmail_fixtures import GmailRig
from wonder.sandbox.gmail.config import GmailFaultSettings, GmailSandboxConfig
from wonder.sandbox.gmail.sandbox import GmailSandbox
from wonder.sandbox.server import serve_in_thread

AGENT = "agent@wonderstreet.example"


@pytest.fixture(params=["legacy", "current"])
def regime_rig(request: pytest.FixtureRequest) -> Iterator[GmailRig]:
    # Realistic limits on a frozen clock: the bucket never refills during the test.
    config = GmailSandboxConfig(
        messages_per_mailbox=10, listings=20, frozen_clock=True, regime=request.param
    )
    sandbox = GmailSandbox(config)
    with serve_in_thread(sandbox.app) as server:
        rig = GmailRig(sandbox, server.base_url)
        try:
            yield rig
        finally:
            rig.close()


def test_gets_stop_exactly_at_the_regimes_ceiling(regime_rig: GmailRig) -> None:
    sandbox = regime_rig.sandbox
    regime = sandbox.quota.regime
    get_cost = regime.costs["messages.get"]
    allowed = regime.units // get_cost  # 50 (legacy: 250 / 5) or 300 (current: 6,000 / 20)
    service = regime_rig.service()
    some = next(iter(sandbox.state.mailboxes[AGENT].messages))
    for _ in range(allowed):
        service.users().messages().get(userId="me", id=some, format="minimal").execute()
    with pytest.raises(HttpError) as caught:
        service.users().messages().get(userId="me", id=some, format="minimal").execute()
    assert caught.value.resp.status == 429
    assert caught.value.error_details[0]["reason"] == "rateLimitExceeded"
    # Another mailbox has its own quota.
    other = regime_rig.service("sandbox-gmail-token:leasing@wonderstreet.example")
    assert other.users().getProfile(userId="me").execute()["emailAddress"].startswith("leasing")


def test_over_quota_can_be_answered_403_user_rate_limit(gmail: GmailRig) -> None:
    gmail.sandbox.quota_status = 403
    gmail.sandbox.set_faults(GmailFaultSettings(burst_429=1))
    with pytest.raises(HttpError) as caught:
        gmail.service().users().getProfile(userId="me").execute()
    assert caught.value.resp.status == 403
    assert caught.value.error_details[0]["reason"] == "userRateLimitExceeded"


def batch_get(rig: GmailRig, ids: list[str]) -> dict[str, tuple[int | None, Any]]:
    service = rig.service()
    answers: dict[str, tuple[int | None, Any]] = {}

    def done(request_id: str, response: Any, exception: HttpError | None) -> None:
        answers[request_id] = (exception.resp.status if exception else None, response)

    batch = BatchHttpRequest(callback=done, batch_uri=f"{rig.base_url}/batch/gmail/v1")
    for message_id in ids:
        batch.add(
            service.users().messages().get(userId="me", id=message_id, format="raw"),
            request_id=message_id,
        )
    batch.execute(http=service._http)
    return answers


def test_a_batch_answers_every_part_and_charges_each(gmail: GmailRig) -> None:
    ids = list(gmail.sandbox.state.mailboxes[AGENT].messages)[:20]
    before = gmail.sandbox.quota.snapshot()["spent"].get(AGENT, 0)
    answers = batch_get(gmail, ids)
    assert {k: v[1]["id"] for k, v in answers.items()} == {i: i for i in ids}
    spent = gmail.sandbox.quota.snapshot()["spent"][AGENT] - before
    assert spent == 20 * gmail.sandbox.quota.cost("messages.get")


def test_more_than_fifty_calls_is_refused_whole(gmail: GmailRig) -> None:
    ids = list(gmail.sandbox.state.mailboxes[AGENT].messages)[:1] * 51
    service = gmail.service()
    batch = BatchHttpRequest(batch_uri=f"{gmail.base_url}/batch/gmail/v1")
    for index, message_id in enumerate(ids):
        batch.add(service.users().messages().get(userId="me", id=message_id), request_id=str(index))
    with pytest.raises(HttpError) as caught:
        batch.execute(http=service._http)
    assert caught.value.resp.status == 400
    assert b"Inner request count exceeds the limit" in caught.value.content


def test_a_429_inside_a_batch_fails_only_its_part(gmail: GmailRig) -> None:
    gmail.sandbox.set_faults(GmailFaultSettings(batch_part_429_rate=0.3))
    ids = list(gmail.sandbox.state.mailboxes[AGENT].messages)[:40]
    answers = batch_get(gmail, ids)
    failed = {k for k, (status, _) in answers.items() if status is not None}
    injected = gmail.sandbox.faults.counts().get("batch_part_429", 0)
    assert len(failed) == injected > 0
    assert {answers[k][0] for k in failed} == {429}
    assert all(answers[k][1]["id"] == k for k in set(ids) - failed)
