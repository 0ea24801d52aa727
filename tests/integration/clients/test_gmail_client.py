"""The Gmail client against the Gmail sandbox over HTTP: paging, batches and their failed parts,
history expiry, errors by kind, and the per-mailbox quota held by the governor."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from tests.gmail_fixtures import TOKEN, GmailRig
from wonder.clients.errors import AuthError
from wonder.clients.gmail import GmailClient, HistoryExpired
from wonder.clients.gmail.credentials import bearer_credentials
from wonder.clients.gmail.quota import mailbox_governor, max_batch_for, quota_regime
from wonder.clients.governor import TokenBucket
from wonder.clients.retry import BackoffPolicy, RetryLoop
from wonder.sandbox.gmail.config import GmailAdvance, GmailFaultSettings, GmailSandboxConfig
from wonder.sandbox.gmail.sandbox import GmailSandbox
from wonder.sandbox.server import serve_in_thread

AGENT = "agent@wonderstreet.example"


def make_client(
    rig: GmailRig, token: str = TOKEN, governor: TokenBucket | None = None
) -> GmailClient:
    regime = rig.sandbox.quota.regime
    return GmailClient(
        AGENT,
        base_url=rig.base_url,
        credentials=bearer_credentials(token),
        governor=governor or TokenBucket(regime.units_per_second, burst=regime.units),
        regime=regime,
        retry=RetryLoop(
            service="gmail",
            backoff=BackoffPolicy(0.001, 0.01, 6),
            rng=random.Random(1),
            retry_on=GmailClient.transport_errors(),
        ),
        timeout_seconds=10,
    )


@pytest.fixture
def client(gmail: GmailRig) -> Iterator[GmailClient]:
    made = make_client(gmail)
    yield made
    made.close()


def all_ids(client: GmailClient, **kwargs: object) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = client.list_ids(page_token=token, page_size=9, **kwargs)  # type: ignore[arg-type]
        ids += [message_id for message_id, _ in page.ids]
        token = page.next_page_token
        if token is None:
            return ids


def test_the_client_lists_and_fetches_exactly_the_mailbox(
    gmail: GmailRig, client: GmailClient
) -> None:
    box = gmail.sandbox.state.mailboxes[AGENT]
    ids = all_ids(client)
    assert sorted(ids) == sorted(
        m.id for m in box.messages.values() if not {"SPAM", "TRASH"} & m.label_ids
    )
    fetched = {}
    for start in range(0, len(ids), 50):
        result = client.get_raw(ids[start : start + 50])
        assert result.retry == ()
        assert result.missing == ()
        fetched.update({m.id: m for m in result.messages})
    assert {k: v.raw for k, v in fetched.items()} == {i: box.messages[i].raw for i in ids}
    assert all(fetched[i].thread_id == box.messages[i].thread_id for i in ids)


def test_rate_limited_parts_come_back_to_be_requeued(gmail: GmailRig, client: GmailClient) -> None:
    gmail.sandbox.set_faults(GmailFaultSettings(batch_part_429_rate=0.25, batch_part_500_rate=0.1))
    ids = sorted(gmail.sandbox.state.mailboxes[AGENT].messages)[:50]
    result = client.get_raw(ids)
    injected = gmail.sandbox.faults.counts()
    assert len(result.retry) == injected.get("batch_part_429", 0) + injected.get(
        "batch_part_500", 0
    )
    assert result.rate_limited == injected.get("batch_part_429", 0) > 0
    assert {m.id for m in result.messages} == set(ids) - set(result.retry)


def test_a_message_deleted_before_its_get_is_missing_not_failed(
    gmail: GmailRig, client: GmailClient
) -> None:
    box = gmail.sandbox.state.mailboxes[AGENT]
    ids = sorted(box.messages)[:5]
    box.delete(ids[0])
    result = client.get_raw(ids)
    assert result.missing == (ids[0],)
    assert len(result.messages) == 4


def test_an_expired_history_id_is_history_expired(gmail: GmailRig, client: GmailClient) -> None:
    start = client.profile_history_id()
    gmail.sandbox.apply_advance(GmailAdvance(new_messages=4, keep_history=1))
    with pytest.raises(HistoryExpired):
        client.history(start)


def test_history_pages_name_every_change(gmail: GmailRig, client: GmailClient) -> None:
    start = client.profile_history_id()
    gmail.sandbox.apply_advance(GmailAdvance(new_messages=6, label_changes=2))
    page = client.history(start)
    box = gmail.sandbox.state.mailboxes[AGENT]
    assert [c.history_id for c in page.changes] == [r.id for r in box.history if r.id > start]
    assert page.history_id == box.history_id


def test_transient_failures_are_retried(gmail: GmailRig, client: GmailClient) -> None:
    gmail.sandbox.set_faults(GmailFaultSettings(error_rate=0.3, drop_rate=0.2))
    assert len(all_ids(client)) > 0
    injected = gmail.sandbox.faults.counts()
    assert (
        injected.get("drop", 0) + sum(v for k, v in injected.items() if k.startswith("error_")) > 0
    )


def test_bad_credentials_are_an_auth_error_without_the_token(gmail: GmailRig) -> None:
    secret = "not-the-token-0123456789"
    client = make_client(gmail, token=secret)
    try:
        with pytest.raises(AuthError) as caught:
            client.profile_history_id()
    finally:
        client.close()
    assert secret not in str(caught.value)
    assert secret not in repr(client)


def test_the_governor_keeps_the_mailbox_under_its_quota() -> None:
    # The real legacy quota on the real clock: 250 units/s, 50 messages/s per mailbox.
    sandbox = GmailSandbox(GmailSandboxConfig(messages_per_mailbox=120, listings=20))
    with serve_in_thread(sandbox.app) as server:
        rig = GmailRig(sandbox, server.base_url)
        regime = quota_regime("legacy")
        # Well under the ceiling so a loaded machine's latency jitter cannot draw a 429 here;
        # how close to the ceiling the ingest runs is the benchmark's question.
        governor = mailbox_governor(regime, headroom=0.8)
        size = max_batch_for(regime, governor.burst)
        client = make_client(rig, governor=governor)
        try:
            ids = all_ids(client, query="in:anywhere")
            for start in range(0, len(ids), size):
                client.get_raw(ids[start : start + size])
        finally:
            client.close()
    quota = sandbox.quota.snapshot()
    assert quota["refused"] == {}
    assert quota["spent"][AGENT] == client.units_spent
    sandbox.state.outbox.close()


class WaitingGovernor:
    """A governor whose every acquire takes ``wait`` seconds of the injected clock."""

    def __init__(self, wait: float) -> None:
        self.now = 0.0
        self.wait = wait

    def clock(self) -> float:
        return self.now

    def acquire(self, cost: float = 1) -> None:
        self.now += self.wait

    def pending(self, cost: float = 1) -> float:
        return 0.0

    def observe(self, headers: object) -> None:
        return None


@pytest.mark.parametrize(("wait", "kept"), [(0.5, True), (5.0, False)])
def test_a_long_quota_wait_starts_on_a_fresh_connection(
    gmail: GmailRig, wait: float, kept: bool
) -> None:
    # Servers drop keep-alive connections idle for seconds; one used after a long wait fails,
    # is retried and spends its quota twice. The pooled connection is dropped after such a wait.
    governor = WaitingGovernor(wait)
    client = GmailClient(
        AGENT,
        base_url=gmail.base_url,
        credentials=bearer_credentials(TOKEN),
        governor=governor,
        regime=gmail.sandbox.quota.regime,
        retry=RetryLoop(service="gmail", backoff=BackoffPolicy(0.001, 0.01, 2)),
        monotonic=governor.clock,
    )
    try:
        client.profile_history_id()
        pooled = client._http.http.connections
        assert len(pooled) == 1
        before = next(iter(pooled.values()))
        client.profile_history_id()
        after = next(iter(pooled.values()))
        assert (after is before) is kept
    finally:
        client.close()
