"""Gmail push, after the receiver stored it: a notification only wakes its mailbox's sync.

Pub/Sub push says "mailbox M has news up to historyId H" and nothing more, and notifications
can be late, duplicated or lost. So the inbox handler for ``gmail`` events (registered as the
``gmail`` entry point of ``wonder.webhook_handlers``) runs the mailbox's history sync
(``wonder.mail.service.sync_mailbox``) from the stored cursor, whatever H says: a duplicate or
late push finds nothing new, a lost one is covered by the next push or the scheduled
``mail-sync``. The sync commits its own pages (each with its cursor), then the mailbox's new
mail is parsed and linked (``wonder.mail.process``, its own pages), so MessageService shows
pushed mail at once; the drain then marks the events done, so a crash in between only means
one more, empty, sync and processing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from wonder.db.engine import sessions_like
from wonder.mail.process import ProcessReport, process_messages
from wonder.mail.service import sync_mailbox
from wonder.mail.sync import MailSyncReport
from wonder.settings import Settings
from wonder.webhooks.ports import EntityBatch

MAILBOX_PREFIX = "mailbox."
SyncMailbox = Callable[[sessionmaker[Session], str], MailSyncReport]


class UnknownMailbox(ValueError):
    """A push for a mailbox the ingest does not read (dead-lettered with this reason)."""


class GmailPushHandler:
    def __init__(self, settings: Settings, sync: SyncMailbox | None = None) -> None:
        self._mailboxes = {address.lower(): address for address in settings.gmail.mailboxes}
        gmail = settings.gmail
        self._sync: SyncMailbox = sync or (
            lambda sessions, mailbox: sync_mailbox(
                sessions, gmail, mailbox, clock=lambda: datetime.now(UTC)
            )
        )
        self.reports: list[MailSyncReport] = []
        self.processed: list[ProcessReport] = []

    def handle(self, session: Session, batch: EntityBatch) -> None:
        address = batch.entity_key.removeprefix(MAILBOX_PREFIX)
        mailbox = self._mailboxes.get(address)
        if mailbox is None:
            raise UnknownMailbox(f"push for {address!r}, which is not a configured mailbox")
        # Our own units of work on the drain's database; the drain's session stays untouched.
        sessions = sessions_like(session)
        self.reports.append(self._sync(sessions, mailbox))
        self.processed.append(
            process_messages(sessions, clock=lambda: datetime.now(UTC), mailbox=mailbox)
        )


def gmail_push_handler(settings: Settings) -> GmailPushHandler:
    """The ``wonder.webhook_handlers`` entry point for ``gmail``."""
    return GmailPushHandler(settings)
