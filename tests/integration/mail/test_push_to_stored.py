"""Gmail push end to end over HTTP: the Gmail sandbox pushes to the real receiver (its JWT
verified against the sandbox's certs), the inbox stores the notification, the drain's gmail
handler runs the mailbox's history sync, and the mail is stored once — also when the push is
duplicated or late, and, when it is lost, by the scheduled sync."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.webhook_fixtures import Receiver
from wonder.db.models import MailMessage
from wonder.db.models.webhooks import WebhookInboxEvent
from wonder.mail.process import PARSER_VERSION
from wonder.mail.push import GmailPushHandler
from wonder.mail.service import sync_mailbox
from wonder.sandbox.gmail.config import GmailAdvance, PushSettings
from wonder.sandbox.webhooks.outbox import DeliveryFaults
from wonder.settings import GmailSettings, Settings
from wonder.webhooks.drain import DrainPolicy, drain
from wonder.webhooks.gmail import CachingCertsRequest, GmailPushSource

AGENT = "agent@wonderstreet.example"


@pytest.fixture
def pushing(
    gmail: GmailRig, start_receiver: Callable[..., Receiver]
) -> Iterator[tuple[GmailRig, Receiver, Settings]]:
    certs = CachingCertsRequest(300)
    audience = "https://hooks.wonder.test/webhooks/gmail"
    source = GmailPushSource(
        audience=audience,
        service_account_email=gmail.sandbox.config.push_service_account,
        certs_url=f"{gmail.base_url}/oauth2/v1/certs",
        request=certs,
    )
    receiver = start_receiver(sources=[source])
    gmail.sandbox.state.set_push_target(f"{receiver.url}/webhooks/gmail", audience)
    settings = Settings(
        gmail=GmailSettings(base_url=gmail.base_url, mailboxes=(AGENT,), backoff_base_seconds=0.001)
    )
    yield gmail, receiver, settings
    certs.close()


def mirror(sessions: sessionmaker[Session], settings: Settings) -> None:
    sync_mailbox(sessions, settings.gmail, AGENT, clock=lambda: datetime.now(UTC))


def stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(MailMessage.gmail_id).where(MailMessage.mailbox == AGENT)))


def inbox(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(WebhookInboxEvent)) or 0)


def drain_gmail(sessions: sessionmaker[Session], settings: Settings) -> GmailPushHandler:
    handler = GmailPushHandler(settings)
    drain(sessions, {"gmail": handler}, DrainPolicy())
    return handler


def truth(gmail: GmailRig) -> set[str]:
    return set(gmail.sandbox.state.mailboxes[AGENT].messages)


def test_a_push_brings_new_mail_in(
    pushing: tuple[GmailRig, Receiver, Settings], engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gmail, _receiver, settings = pushing
    mirror(sessions, settings)
    gmail.service().users().watch(userId=AGENT, body={"topicName": "projects/w/topics/g"}).execute()
    gmail.sandbox.apply_advance(GmailAdvance(seconds=2, new_messages=6))
    attempts = gmail.sandbox.pump_push()
    assert attempts
    assert all(a["outcome"] == "delivered" for a in attempts)
    assert inbox(engine) >= 1
    handler = drain_gmail(sessions, settings)
    assert sum(r.stored for r in handler.reports) == 3  # this mailbox's half of the new mail
    assert set(stored(engine)) == truth(gmail)


def test_pushed_mail_is_parsed_and_linked_without_a_manual_process(
    pushing: tuple[GmailRig, Receiver, Settings], engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gmail, _receiver, settings = pushing
    mirror(sessions, settings)
    gmail.service().users().watch(userId=AGENT, body={"topicName": "projects/w/topics/g"}).execute()
    gmail.sandbox.apply_advance(GmailAdvance(seconds=2, new_messages=6))
    gmail.sandbox.pump_push()
    handler = drain_gmail(sessions, settings)
    assert sum(r.stored for r in handler.reports) == 3
    # mirror() stored without processing: the push's handler parsed the whole mailbox.
    assert sum(r.parsed for r in handler.processed) == len(truth(gmail))
    with engine.connect() as conn:
        rows = conn.execute(
            select(MailMessage.gmail_id, MailMessage.from_address).where(
                MailMessage.mailbox == AGENT, MailMessage.parser_version == PARSER_VERSION
            )
        ).all()
    facts = gmail.sandbox.state.truth()[AGENT]
    assert {i: sender for i, sender in rows} == {i: f.get("sender") for i, f in facts.items()}


def test_duplicated_and_late_pushes_store_each_message_once(
    pushing: tuple[GmailRig, Receiver, Settings], engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gmail, _receiver, settings = pushing
    mirror(sessions, settings)
    state = gmail.sandbox.state
    state.outbox.configure_faults(DeliveryFaults(duplicate_rate=1.0))
    state.config = state.config.model_copy(
        update={"push": PushSettings(late_rate=0.5, late_seconds=20)}
    )
    gmail.service().users().watch(userId=AGENT, body={"topicName": "projects/w/topics/g"}).execute()
    rng = random.Random(5)
    for _ in range(4):
        gmail.sandbox.apply_advance(GmailAdvance(seconds=2 + rng.random(), new_messages=2))
        gmail.sandbox.pump_push()
        drain_gmail(sessions, settings)
    gmail.sandbox.apply_advance(GmailAdvance(seconds=30))  # the late ones arrive
    gmail.sandbox.pump_push()
    drain_gmail(sessions, settings)
    assert state.outbox.stats()["duplicates"] > 0
    names = stored(engine)
    assert len(names) == len(set(names))
    assert set(names) == truth(gmail)
    with engine.connect() as conn:
        keys = list(conn.scalars(select(WebhookInboxEvent.dedupe_key)))
    assert len(keys) == len(set(keys))  # duplicated deliveries stored once


def test_a_lost_push_is_caught_by_the_scheduled_sync(
    pushing: tuple[GmailRig, Receiver, Settings], engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gmail, _receiver, settings = pushing
    mirror(sessions, settings)
    state = gmail.sandbox.state
    state.config = state.config.model_copy(update={"push": PushSettings(drop_rate=1.0)})
    gmail.service().users().watch(userId=AGENT, body={"topicName": "projects/w/topics/g"}).execute()
    gmail.sandbox.apply_advance(GmailAdvance(seconds=2, new_messages=4))
    gmail.sandbox.pump_push()
    assert inbox(engine) == 0  # nothing arrived
    assert set(stored(engine)) != truth(gmail)
    mirror(sessions, settings)  # the safety net: mail-sync's schedule
    assert set(stored(engine)) == truth(gmail)


def test_a_push_for_an_unknown_mailbox_is_a_dead_letter(
    pushing: tuple[GmailRig, Receiver, Settings], engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gmail, _receiver, settings = pushing
    other = settings.model_copy(
        update={"gmail": settings.gmail.model_copy(update={"mailboxes": ("someone@else.test",)})}
    )
    gmail.service().users().watch(userId=AGENT, body={"topicName": "projects/w/topics/g"}).execute()
    gmail.sandbox.pump_push()
    handler = GmailPushHandler(other)
    drain(sessions, {"gmail": handler}, DrainPolicy(max_attempts=1))
    with engine.connect() as conn:
        row = conn.execute(select(WebhookInboxEvent.status, WebhookInboxEvent.last_error)).one()
    assert row.status == "dead"
    assert "not a configured mailbox" in (row.last_error or "")
