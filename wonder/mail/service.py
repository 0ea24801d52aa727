"""The mail ingest's entry points: what a flow or ``wonder mail`` calls.

``sync_mailboxes`` brings each configured mailbox up to date (``wonder.mail.sync``), one client
and one quota governor per mailbox; ``renew_watches`` (re)starts Gmail push for each.
Credentials are resolved here from settings, at the edge, and never logged.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from google.auth.credentials import Credentials
from sqlalchemy.orm import Session, sessionmaker

from wonder.clients.gmail import GmailClient
from wonder.clients.gmail.credentials import bearer_credentials, delegated_credentials
from wonder.clients.gmail.quota import mailbox_governor, max_batch_for, quota_regime
from wonder.clients.governor import AllOf, RateGovernor
from wonder.clients.retry import BackoffPolicy, RetryLoop
from wonder.mail.sync import MailSync, MailSyncReport
from wonder.settings import GmailSettings

# A limit shared by every worker (flows pass Prefect's); in process, the mailbox's own bucket.
SharedGovernor = Callable[[str], RateGovernor | None]


def credentials_for(settings: GmailSettings, mailbox: str) -> Credentials:
    if settings.service_account_key_file is not None:
        info = json.loads(settings.service_account_key_file.read_text(encoding="utf-8"))
        return delegated_credentials(info, mailbox)
    return bearer_credentials(settings.token.get_secret_value())


@contextmanager
def gmail_client(
    settings: GmailSettings,
    mailbox: str,
    shared: RateGovernor | None = None,
    *,
    backoff: BackoffPolicy | None = None,
    max_wait_seconds: float = float("inf"),
    timeout_seconds: float | None = None,
) -> Iterator[GmailClient]:
    """A client of ``mailbox``; ``backoff`` / ``max_wait_seconds`` / ``timeout_seconds`` bound
    its retries and each request (the API passes short ones: a caller is waiting), else the
    settings' ingest values."""
    regime = quota_regime(settings.regime)
    own = mailbox_governor(regime, headroom=settings.quota_headroom)
    governor: RateGovernor = AllOf(own, shared) if shared is not None else own
    client = GmailClient(
        mailbox,
        base_url=settings.base_url,
        credentials=credentials_for(settings, mailbox),
        governor=governor,
        regime=regime,
        retry=RetryLoop(
            service=f"Gmail {mailbox}",
            backoff=backoff
            or BackoffPolicy(
                settings.backoff_base_seconds, settings.backoff_max_seconds, settings.max_retries
            ),
            max_wait_seconds=max_wait_seconds,
            rng=random.Random(),
            governor=governor,
            retry_on=GmailClient.transport_errors(),
        ),
        timeout_seconds=timeout_seconds or settings.timeout_seconds,
    )
    try:
        yield client
    finally:
        client.close()


def batch_size(settings: GmailSettings) -> int:
    regime = quota_regime(settings.regime)
    burst = mailbox_governor(regime, headroom=settings.quota_headroom).burst
    return min(settings.batch_size, max_batch_for(regime, burst))


def sync_mailbox(
    sessions: sessionmaker[Session],
    settings: GmailSettings,
    mailbox: str,
    *,
    clock: Callable[[], datetime],
    shared: RateGovernor | None = None,
) -> MailSyncReport:
    with gmail_client(settings, mailbox, shared) as client:
        return MailSync(sessions, client, clock=clock, batch_size=batch_size(settings)).run()


def backfill_mailbox(
    sessions: sessionmaker[Session],
    settings: GmailSettings,
    mailbox: str,
    query: str,
    *,
    clock: Callable[[], datetime],
    shared: RateGovernor | None = None,
) -> MailSyncReport:
    """Fetch what ``query`` matches in ``mailbox`` and is not stored (``MailSync.backfill``)."""
    with gmail_client(settings, mailbox, shared) as client:
        sync = MailSync(sessions, client, clock=clock, batch_size=batch_size(settings))
        return sync.backfill(query)


def sync_mailboxes(
    sessions: sessionmaker[Session],
    settings: GmailSettings,
    *,
    clock: Callable[[], datetime],
    mailboxes: Sequence[str] | None = None,
    shared: SharedGovernor | None = None,
) -> list[MailSyncReport]:
    return [
        sync_mailbox(
            sessions, settings, mailbox, clock=clock, shared=shared(mailbox) if shared else None
        )
        for mailbox in (mailboxes or settings.mailboxes)
    ]


@dataclass(frozen=True)
class WatchRenewal:
    mailbox: str
    history_id: int
    expires_at: datetime


def renew_watches(settings: GmailSettings) -> list[WatchRenewal]:
    """``users.watch`` for every mailbox (daily is advised; a watch lasts 7 days)."""
    from datetime import UTC

    renewed: list[WatchRenewal] = []
    for mailbox in settings.mailboxes:
        with gmail_client(settings, mailbox) as client:
            history_id, expiration_ms = client.watch(settings.push_topic)
        expires = datetime.fromtimestamp(expiration_ms / 1000, tz=UTC)
        renewed.append(WatchRenewal(mailbox, history_id, expires))
    return renewed
