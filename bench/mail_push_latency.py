"""Gmail push to stored (and processed) mail: p50 / p95 of the time from a message's insertion
into the Gmail sandbox to its row in our database, stored and then parsed and linked.

Every piece runs in its own process, as in production: the Gmail sandbox (``realistic``
profile: the real clock, at most one push per second per mailbox) pushing to a real ``wonder
webhooks serve`` (its JWT verified against the sandbox's ``/oauth2/v1/certs``, the inbox on a
scratch PostgreSQL database), and a drain loop (``drain_forever``: ``wonder webhooks drain``
every ``DRAIN_POLL_SECONDS``, its gmail handler running the history sync and the processing).
This process adds one message at a time through the sandbox's control API, more than a second
apart (the push limit), and polls the database for its row. The reference is what the scheduled
safety net alone gives: a ``mail-sync`` every 5 minutes finds a message 150 s after it arrived
on average. The drain loop is tight here, so the figures are the pipeline's own; a deployment
adds the time its trigger takes to start the drain.
"""

from __future__ import annotations

import base64
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import httpx
import psycopg

from bench.support import (
    ScratchDatabase,
    answering,
    child_env,
    percentile,
    progress,
    receiver_ready,
    scratch_database,
    service,
    started,
)
from bench.table import Row
from devstack.processes import free_port

MAILBOX = "agent@wonderstreet.example"
MAILBOXES = (MAILBOX, "leasing@wonderstreet.example")
PUSH_SERVICE_ACCOUNT = "gmail-push@wonder-sandbox.iam.gserviceaccount.com"
DRAIN_POLL_SECONDS = 0.1
POLL_SECONDS = 0.01
# The sandbox pushes at most once a second per mailbox (a closer change is coalesced).
SPACING_SECONDS = 1.3
SAFETY_NET_SECONDS = 300.0  # mail-sync's schedule
WAIT_SECONDS = 60.0


def drain_forever() -> None:
    """The drain loop's child: what ``wonder webhooks drain`` does, every DRAIN_POLL_SECONDS."""
    from wonder.db.engine import make_engine, session_factory
    from wonder.mail.push import GmailPushHandler
    from wonder.settings import Settings
    from wonder.webhooks.drain import DrainPolicy, drain

    settings = Settings()
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    handler = GmailPushHandler(settings)
    while True:
        drain(sessions, {"gmail": handler}, DrainPolicy())
        time.sleep(DRAIN_POLL_SECONDS)


@contextlib.contextmanager
def _pipeline(database: ScratchDatabase) -> Iterator[str]:
    """Sandbox, receiver and drain loop up, push pointed at the receiver; yields the sandbox URL."""
    gmail_port, hooks_port = free_port(), free_port()
    gmail_url, hooks_url = f"http://127.0.0.1:{gmail_port}", f"http://127.0.0.1:{hooks_port}"
    audience = f"{hooks_url}/webhooks/gmail"
    env = child_env(
        WONDER_ENV_FILE="",
        WONDER_LOG_LEVEL="WARNING",
        WONDER_DATABASE_URL=database.url,
        WONDER_GMAIL__BASE_URL=gmail_url,
        WONDER_WEBHOOKS__GMAIL_AUDIENCE=audience,
        WONDER_WEBHOOKS__GMAIL_PUSH_SERVICE_ACCOUNT=PUSH_SERVICE_ACCOUNT,
        WONDER_WEBHOOKS__GMAIL_CERTS_URL=f"{gmail_url}/oauth2/v1/certs",
        WONDER_WEBHOOKS__EVENT_SINK="none",
    )
    sandbox_argv = [sys.executable, "-m", "wonder.cli", "sandbox", "gmail", "--port"]
    sandbox_argv += [str(gmail_port), "--profile", "realistic", "--messages", "20"]
    receiver_argv = [sys.executable, "-m", "wonder.cli", "webhooks", "serve", "--port"]
    receiver_argv += [str(hooks_port)]
    drain_argv = [sys.executable, "-c", "import bench.mail_push_latency as m; m.drain_forever()"]
    with (
        started(
            "gmail sandbox (push)", sandbox_argv, env, answering(f"{gmail_url}/_sandbox/stats")
        ),
        started("webhook receiver", receiver_argv, env, receiver_ready(hooks_port)),
    ):
        _first_sync(database, gmail_url)
        answer = httpx.post(
            f"{gmail_url}/_sandbox/gmail/push", json={"url": audience, "audience": audience}
        )
        answer.raise_for_status()
        with service("drain loop", drain_argv, env):
            _watch(gmail_url)
            yield gmail_url


def _first_sync(database: ScratchDatabase, base_url: str) -> None:
    """A full sync of both mailboxes, so pushes find a history cursor (as in production)."""
    from wonder.db.engine import make_engine, session_factory
    from wonder.mail.process import process_messages
    from wonder.mail.service import sync_mailboxes
    from wonder.settings import GmailSettings

    settings = GmailSettings(base_url=base_url, mailboxes=MAILBOXES)
    engine = make_engine(database.url)
    try:
        sync_mailboxes(session_factory(engine), settings, clock=lambda: datetime.now(UTC))
        process_messages(session_factory(engine), clock=lambda: datetime.now(UTC))
    finally:
        engine.dispose()


def _watch(base_url: str) -> None:
    from wonder.mail.service import renew_watches
    from wonder.settings import GmailSettings

    renew_watches(GmailSettings(base_url=base_url, mailboxes=MAILBOXES))


def _raw(n: int) -> str:
    message = EmailMessage()
    message["From"] = f"Buyer {n} <buyer{n}@example.com>"
    message["To"] = MAILBOX
    message["Subject"] = f"Showing request {n}"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="bench.example")
    message.set_content(f"Hello, could we see the house this weekend? ({n})\n")
    return base64.urlsafe_b64encode(message.as_bytes()).decode().rstrip("=")


def _await_row(
    connection: psycopg.Connection, gmail_id: str, inserted: float
) -> tuple[float, float]:
    """Seconds from insertion until the row is stored, and until it is parsed."""
    stored: float | None = None
    deadline = inserted + WAIT_SECONDS
    while time.time() < deadline:
        row = connection.execute(
            "SELECT parsed_at IS NOT NULL FROM mail_messages WHERE mailbox = %s AND gmail_id = %s",
            (MAILBOX, gmail_id),
        ).fetchone()
        now = time.time()
        if row is not None:
            stored = stored if stored is not None else now - inserted
            if row[0]:
                return stored, now - inserted
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"message {gmail_id} not stored and parsed within {WAIT_SECONDS:.0f} s")


def run(*, quick: bool = False) -> list[Row]:
    count = 10 if quick else 40
    stored: list[float] = []
    processed: list[float] = []
    with scratch_database() as database, _pipeline(database) as base_url:
        time.sleep(2.0)  # the watch's own notification drained
        progress(f"mail push latency: {count} messages, {SPACING_SECONDS} s apart")
        with (
            httpx.Client(base_url=base_url, timeout=10) as client,
            psycopg.connect(database.libpq_url, autocommit=True) as connection,
        ):
            for n in range(count):
                started = time.time()
                answer = client.post(
                    "/_sandbox/gmail/messages", json={"mailbox": MAILBOX, "raw": _raw(n)}
                )
                answer.raise_for_status()
                (gmail_id,) = answer.json()["added"]
                to_stored, to_processed = _await_row(connection, gmail_id, started)
                stored.append(to_stored)
                processed.append(to_processed)
                time.sleep(max(0.0, started + SPACING_SECONDS - time.time()))
            pushes = connection.execute(
                "SELECT count(*) FROM webhook_inbox WHERE source = 'gmail' AND status = 'done'"
            ).fetchone()
    received = int(pushes[0]) if pushes else 0
    if received == 0:  # only a push's drain syncs here: no push, no mail
        raise RuntimeError("no push was processed")
    mean_poll = SAFETY_NET_SECONDS / 2
    rows = []
    for label, values in (("stored", stored), ("stored and parsed + linked", processed)):
        for name, share in (("p50", 0.5), ("p95", 0.95)):
            value = percentile(values, share)
            rows.append(
                Row(
                    f"push to {label}, {name} ({len(values)} messages)",
                    f"{value * 1000:,.0f} ms",
                    f"mail-sync every 5 min alone: {mean_poll:.0f} s on average",
                    f"{value / mean_poll:.4f}",
                )
            )
    rows.append(
        Row(
            f"push to stored and parsed, mean / max ({received} pushes processed)",
            f"{statistics.mean(processed) * 1000:,.0f} / {max(processed) * 1000:,.0f} ms",
        )
    )
    return rows
