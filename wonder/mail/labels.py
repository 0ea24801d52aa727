"""Changing a message's Gmail labels for an API caller (``ModifyMessageLabels``).

Gmail holds the truth, so the change is made there first (``users.messages.modify``, charged
on the mailbox's quota governor), and the stored copy then takes Gmail's answer
(``store.record_modified_labels``: labels, label changes, a change-feed row, one transaction).
If that write fails after Gmail changed, the next history sync reports the same change and
catches the copy up; nothing is lost.

A caller is waiting, so the client's retries are short (``api_max_retries``) and a quota wait
longer than ``api_max_wait_seconds`` is not slept: it is ``Unavailable``, like an outage.
Errors are the platform's (``wonder.errors``): a bad or unknown label is ``InvalidArgument``
naming the field (``add_label_ids[1]``), a message Gmail does not have ``NotFound``, Gmail down,
over quota or refusing our credentials ``Unavailable``. Never a client error escapes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from wonder.clients.errors import AuthError, ClientError, PermanentError, RateLimited
from wonder.clients.gmail import GmailClient, ModifiedLabels
from wonder.clients.gmail.quota import mailbox_governor, quota_regime
from wonder.clients.governor import TokenBucket
from wonder.clients.retry import BackoffPolicy
from wonder.errors import InvalidArgument, NotFound, Unavailable, echo
from wonder.mail.service import gmail_client
from wonder.settings import GmailSettings

MAX_LABELS = 100  # per list, per call
MAX_LABEL_CHARS = 255
MESSAGE = "wonder.v1.Message"
FIELDS = ("add_label_ids", "remove_label_ids")
# A caller is waiting: the first retry after 0.2 s, none longer than 1 s.
API_BACKOFF_BASE_SECONDS = 0.2
API_BACKOFF_MAX_SECONDS = 1.0


@dataclass(frozen=True)
class LabelEdit:
    add: tuple[str, ...]
    remove: tuple[str, ...]


def check_edit(add: Sequence[str], remove: Sequence[str]) -> LabelEdit:
    """The request's label lists, checked (pure); repeats within a list are dropped."""
    for field, ids in zip(FIELDS, (add, remove), strict=True):
        if len(ids) > MAX_LABELS:
            raise InvalidArgument(field, f"at most {MAX_LABELS} labels, got {len(ids)}")
        for index, label in enumerate(ids):
            if not label or len(label) > MAX_LABEL_CHARS or not label.isprintable():
                raise InvalidArgument(f"{field}[{index}]", f"not a Gmail label id: {echo(label)}")
    if not add and not remove:
        raise InvalidArgument(
            "add_label_ids", "name at least one label in add_label_ids or remove_label_ids"
        )
    added = set(add)
    for index, label in enumerate(remove):
        if label in added:
            raise InvalidArgument(
                f"remove_label_ids[{index}]", f"{echo(label)} is also in add_label_ids"
            )
    return LabelEdit(tuple(dict.fromkeys(add)), tuple(dict.fromkeys(remove)))


def unknown_label_error(edit: LabelEdit, known: frozenset[str], gmail_says: str) -> InvalidArgument:
    """The first label of the edit the mailbox does not have, as the field that named it."""
    for field, ids in zip(FIELDS, (edit.add, edit.remove), strict=True):
        for index, label in enumerate(ids):
            if label not in known:
                return InvalidArgument(
                    f"{field}[{index}]", f"the mailbox has no label {echo(label)}"
                )
    # Gmail refused the edit although every label exists (one was deleted and re-created?).
    return InvalidArgument("add_label_ids", f"Gmail refused the labels: {echo(gmail_says)}")


class GmailLabels:
    """Label changes through Gmail, one quota governor per mailbox shared by every call of
    this process (thread-safe: each call builds its own client, as httplib2 needs)."""

    def __init__(self, settings: GmailSettings) -> None:
        self._settings = settings
        self._mailboxes = frozenset(settings.mailboxes)
        self._governors: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def mailbox(self, address: str) -> str | None:
        """``address`` if it is a configured mailbox (as stored: the same spelling), else None."""
        return address if address in self._mailboxes else None

    def _governor(self, mailbox: str) -> TokenBucket:
        with self._lock:
            if mailbox not in self._governors:
                regime = quota_regime(self._settings.regime)
                bucket = mailbox_governor(regime, headroom=self._settings.quota_headroom)
                self._governors[mailbox] = TokenBucket(
                    bucket.rate,
                    burst=bucket.burst,
                    max_wait_seconds=self._settings.api_max_wait_seconds,
                    name=f"Gmail quota of {mailbox}",
                )
            return self._governors[mailbox]

    def modify(
        self,
        mailbox: str,
        gmail_id: str,
        edit: LabelEdit,
        name: str,
        deadline_seconds: float | None = None,
    ) -> ModifiedLabels:
        """``messages.modify`` in Gmail (blocking: run it in a worker thread); no request waits
        longer than the caller's ``deadline_seconds``."""
        timeout = self._settings.timeout_seconds
        if deadline_seconds is not None:
            timeout = max(0.1, min(timeout, deadline_seconds))
        backoff = BackoffPolicy(
            API_BACKOFF_BASE_SECONDS, API_BACKOFF_MAX_SECONDS, self._settings.api_max_retries
        )
        with gmail_client(
            self._settings,
            mailbox,
            self._governor(mailbox),
            backoff=backoff,
            max_wait_seconds=self._settings.api_max_wait_seconds,
            timeout_seconds=timeout,
        ) as client:
            try:
                return client.modify(gmail_id, edit.add, edit.remove)
            except PermanentError as error:
                raise self._refused(client, edit, name, error) from error
            except ClientError as error:
                raise _unavailable(error) from error

    def _refused(
        self, client: GmailClient, edit: LabelEdit, name: str, error: PermanentError
    ) -> Exception:
        if error.status == 404:
            return NotFound(MESSAGE, [name])
        if error.status == 400:
            try:
                known = client.label_ids()
            except ClientError as listing:
                return _unavailable(listing)
            return unknown_label_error(edit, known, str(error))
        return _unavailable(error)


def _unavailable(error: ClientError) -> Unavailable:
    if isinstance(error, AuthError):
        return Unavailable("Gmail", "Gmail refused the server's credentials for this mailbox")
    if isinstance(error, RateLimited):
        return Unavailable("Gmail", "the mailbox's Gmail quota is spent for now")
    return Unavailable("Gmail", f"Gmail did not answer: {error}")
