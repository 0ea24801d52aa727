"""The mail sync against the Gmail sandbox over HTTP, on both databases: what is stored is
what the sandbox holds, after full syncs, history syncs, expired history, failed batch parts
and crashes at every step."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import TOKEN, GmailRig
from wonder.clients.gmail import GmailClient, HistoryExpired
from wonder.clients.gmail.credentials import bearer_credentials
from wonder.clients.governor import TokenBucket
from wonder.clients.retry import BackoffPolicy, RetryLoop
from wonder.db.models import MailFetchQueue, MailMessage
from wonder.mail.sync import MailSync
from wonder.sandbox.gmail.config import GmailAdvance, GmailFaultSettings

AGENT = "agent@wonderstreet.example"


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def client(gmail: GmailRig) -> Iterator[GmailClient]:
    regime = gmail.sandbox.quota.regime
    made = GmailClient(
        AGENT,
        base_url=gmail.base_url,
        credentials=bearer_credentials(TOKEN),
        governor=TokenBucket(regime.units_per_second, burst=regime.units),
        regime=regime,
        retry=RetryLoop(
            service="gmail",
            backoff=BackoffPolicy(0.001, 0.01, 4),
            rng=random.Random(3),
            retry_on=GmailClient.transport_errors(),
        ),
    )
    yield made
    made.close()


def stored(sessions: sessionmaker[Session]) -> dict[str, MailMessage]:
    with sessions() as session:
        rows = session.execute(select(MailMessage).where(MailMessage.mailbox == AGENT)).scalars()
        return {row.gmail_id: row for row in rows}


def assert_mirrors_sandbox(gmail: GmailRig, sessions: sessionmaker[Session]) -> None:
    box = gmail.sandbox.state.mailboxes[AGENT]
    rows = stored(sessions)
    live = {k: v for k, v in rows.items() if v.deleted_at is None}
    assert set(live) == set(box.messages)
    for gmail_id, message in box.messages.items():
        assert zlib.decompress(live[gmail_id].raw_zlib) == message.raw
        assert set(live[gmail_id].label_ids) == message.label_ids
        assert live[gmail_id].thread_id == message.thread_id
    with sessions() as session:
        assert session.execute(select(MailFetchQueue)).first() is None


def test_full_then_history_sync_mirror_the_mailbox(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    first = MailSync(sessions, client, clock=now).run()
    assert first.mode == "full"
    assert first.stored == len(gmail.sandbox.state.mailboxes[AGENT].messages)
    assert_mirrors_sandbox(gmail, sessions)
    gmail.sandbox.apply_advance(
        GmailAdvance(seconds=5, new_messages=8, replies=4, label_changes=6, deletions=2)
    )
    second = MailSync(sessions, client, clock=now).run()
    assert second.mode == "history"
    assert second.stored == 6  # half of the new mail and the replies went to this mailbox
    assert_mirrors_sandbox(gmail, sessions)
    deleted = [row for row in stored(sessions).values() if row.deleted_at is not None]
    assert len(deleted) == second.deleted == 1


def test_nothing_changed_fetches_nothing(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    MailSync(sessions, client, clock=now).run()
    again = MailSync(sessions, client, clock=now).run()
    assert (again.fetched, again.stored, again.queued) == (0, 0, 0)


def test_failed_batch_parts_are_requeued_and_fetched_later(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    gmail.sandbox.set_faults(GmailFaultSettings(batch_part_429_rate=0.3))
    report = MailSync(sessions, client, clock=now).run()
    injected = gmail.sandbox.faults.counts()["batch_part_429"]
    assert report.requeued == report.rate_limited_parts == injected > 0
    assert min(report.batch_sizes) < max(report.batch_sizes)  # it slowed down
    assert report.duplicates == 0
    assert_mirrors_sandbox(gmail, sessions)


def test_an_expired_history_id_resyncs_once(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    MailSync(sessions, client, clock=now).run()
    gmail.sandbox.apply_advance(GmailAdvance(seconds=5, new_messages=6, keep_history=1))
    report = MailSync(sessions, client, clock=now).run()
    assert report.full_resyncs == 1
    assert report.duplicates == 0  # the resync queued only what was not stored
    assert_mirrors_sandbox(gmail, sessions)


class AlwaysExpired:
    """A source whose history is always expired: the sync must not loop on it."""

    def __init__(self, inner: GmailClient) -> None:
        self.inner = inner
        self.mailbox = inner.mailbox
        self.full_listings = 0

    @property
    def units_spent(self) -> int:
        return self.inner.units_spent

    @property
    def requests_made(self) -> int:
        return self.inner.requests_made

    def profile_history_id(self) -> int:
        return self.inner.profile_history_id()

    def list_ids(self, **kwargs: Any) -> Any:
        if kwargs.get("page_token") is None:
            self.full_listings += 1
        return self.inner.list_ids(**kwargs)

    def history(self, start: int, page_token: str | None = None) -> Any:
        raise HistoryExpired("expired", status=404)

    def get_raw(self, ids: Sequence[str]) -> Any:
        return self.inner.get_raw(ids)


def test_history_that_keeps_expiring_never_loops(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    MailSync(sessions, client, clock=now).run()
    source = AlwaysExpired(client)
    with pytest.raises(HistoryExpired):
        MailSync(sessions, source, clock=now).run()
    assert source.full_listings == 1


class Crash(Exception):
    pass


class CrashingSource(AlwaysExpired):
    """Crashes at the ``at``-th call of any kind (deterministic kill points)."""

    def __init__(self, inner: GmailClient, at: int) -> None:
        super().__init__(inner)
        self.calls = 0
        self.at = at
        self.fetched: list[str] = []

    def _tick(self) -> None:
        self.calls += 1
        if self.calls == self.at:
            raise Crash(f"killed at call {self.at}")

    def profile_history_id(self) -> int:
        self._tick()
        return self.inner.profile_history_id()

    def list_ids(self, **kwargs: Any) -> Any:
        self._tick()
        return self.inner.list_ids(**kwargs)

    def history(self, start: int, page_token: str | None = None) -> Any:
        self._tick()
        return self.inner.history(start, page_token)

    def get_raw(self, ids: Sequence[str]) -> Any:
        self._tick()
        result = self.inner.get_raw(ids)
        self.fetched += [m.id for m in result.messages]
        return result


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 6])
def test_a_crash_at_any_call_reruns_to_the_exact_mailbox(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session], kill_at: int
) -> None:
    size = 10  # small batches and pages: many kill points
    crashing = CrashingSource(client, kill_at)
    with pytest.raises(Crash):
        MailSync(sessions, crashing, clock=now, batch_size=size).run()
    before = set(stored(sessions))
    rerun = CrashingSource(client, at=-1)
    MailSync(sessions, rerun, clock=now, batch_size=size).run()
    assert_mirrors_sandbox(gmail, sessions)
    # The re-run fetched only what the crashed run had not stored: a resume, not a restart.
    assert set(rerun.fetched).isdisjoint(before)
    assert set(rerun.fetched) | before == set(stored(sessions))


def test_a_crash_mid_history_sync_resumes(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    MailSync(sessions, client, clock=now).run()
    gmail.sandbox.apply_advance(GmailAdvance(seconds=5, new_messages=30, label_changes=5))
    crashing = CrashingSource(client, at=3)  # history page, then a batch, then dies
    with pytest.raises(Crash):
        MailSync(sessions, crashing, clock=now, batch_size=5).run()
    MailSync(sessions, client, clock=now, batch_size=5).run()
    assert_mirrors_sandbox(gmail, sessions)
