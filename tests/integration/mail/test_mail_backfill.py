"""A backfill fetches exactly what its Gmail search matches and we do not store, resumes from
its own cursor, and leaves the history cursor where it was; over real HTTP to the Gmail
sandbox, on both databases. The oracle is the sandbox's mailbox."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.integration.mail.mail_rig import AGENT, gmail_client, now
from wonder.clients.gmail import GmailClient
from wonder.db.models import MailMessage
from wonder.db.uow import unit_of_work
from wonder.ingest.cursors import get_cursor
from wonder.mail.sync import MailSync, cursor_name


@pytest.fixture
def client(gmail: GmailRig) -> Iterator[GmailClient]:
    made = gmail_client(gmail, AGENT)
    yield made
    made.close()


def stored_ids(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(
            session.scalars(select(MailMessage.gmail_id).where(MailMessage.mailbox == AGENT))
        )


def history_state(sessions: sessionmaker[Session]) -> dict[str, object]:
    with sessions() as session:
        cursor = get_cursor(session, cursor_name(AGENT))
        assert cursor is not None
        return dict(cursor.state)


def test_a_backfill_fetches_only_what_is_missing_and_keeps_the_history_cursor(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    MailSync(sessions, client, clock=now).run()
    box = gmail.sandbox.state.mailboxes[AGENT]
    lost = sorted(box.messages)[::3]  # a third of the rows gone (a restore from an old backup)
    with unit_of_work(sessions) as session:
        session.execute(
            delete(MailMessage).where(MailMessage.mailbox == AGENT, MailMessage.gmail_id.in_(lost))
        )
    before = history_state(sessions)

    report = MailSync(sessions, client, clock=now).backfill("in:anywhere")

    assert report.listed == len(box.messages)
    assert report.stored == len(lost)  # only the missing ones were fetched
    assert stored_ids(sessions) == set(box.messages)
    with sessions() as session:
        for row in session.scalars(select(MailMessage).where(MailMessage.gmail_id.in_(lost))):
            assert zlib.decompress(row.raw_zlib) == box.messages[row.gmail_id].raw
    assert history_state(sessions) == before
    again = MailSync(sessions, client, clock=now).backfill("in:anywhere")
    assert (again.queued, again.stored) == (0, 0)


def test_a_backfill_of_a_narrower_search_fetches_only_its_matches(
    gmail: GmailRig, client: GmailClient, sessions: sessionmaker[Session]
) -> None:
    box = gmail.sandbox.state.mailboxes[AGENT]
    label = next(iter(sorted({lab for m in box.messages.values() for lab in m.label_ids})))
    matching = {i for i, m in box.messages.items() if label in m.label_ids}
    assert 0 < len(matching) < len(box.messages)
    report = MailSync(sessions, client, clock=now).backfill(f"label:{label}")
    assert stored_ids(sessions) == matching
    assert report.stored == len(matching)
