"""One mailbox's Gmail API, through google-api-python-client, our one retry layer and quota.

Every call first spends its quota units on the mailbox's governor (``quota.py``: 5 or 20 for a
``messages.get``), then runs in the retry loop: 429s and Google's ``rateLimitExceeded`` /
``userRateLimitExceeded`` 403s are rate limits, 5xx, dropped connections and cut bodies are
transient, 401 is an ``AuthError``, anything else a ``PermanentError``. The library's own
retries stay off (``num_retries=0``): ours is the only layer.

``get_raw`` is one batch (``/batch/gmail/v1``, at most 50 calls, built with ``batch_uri``
because ``new_batch_http_request()`` ignores the endpoint): every inner call answers on its own,
and the parts that were rate-limited or failed come back in ``retry`` for the caller to
re-queue, never as done. A ``history.list`` from an expired id raises ``HistoryExpired``.
Not thread-safe (httplib2): one client per thread.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from wonder.clients.errors import AuthError, PermanentError
from wonder.clients.gmail.quota import QuotaRegime
from wonder.clients.gmail.records import (
    BatchResult,
    HistoryPage,
    MessageIds,
    ModifiedLabels,
    RawMessage,
    history_changes,
)
from wonder.clients.governor import RateGovernor
from wonder.clients.retry import RETRYABLE_STATUSES, RetryableError, RetryLoop

T = TypeVar("T")
MAX_BATCH = 50
# A quota wait longer than this starts the next request on a fresh connection.
IDLE_CONNECTION_SECONDS = 2.0
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# What a dropped connection or a cut body raises inside httplib2 and the library.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
    json.JSONDecodeError,
)
LIST_FIELDS = "messages(id,threadId),nextPageToken"


class HistoryExpired(PermanentError):
    """The stored ``historyId`` is too old (404): a full sync must replace it."""


def _reasons(error: HttpError) -> set[str]:
    details = error.error_details if isinstance(error.error_details, list) else []
    return {str(d.get("reason")) for d in details if isinstance(d, dict)}


def _status(error: HttpError) -> int:
    return int(error.resp.status)


def is_rate_limited(error: HttpError) -> bool:
    status = _status(error)
    return status == 429 or (status == 403 and bool(_reasons(error) & RATE_REASONS))


class GmailClient:
    def __init__(
        self,
        mailbox: str,
        *,
        base_url: str,
        credentials: Credentials,
        governor: RateGovernor,
        regime: QuotaRegime,
        retry: RetryLoop,
        timeout_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mailbox = mailbox
        self._monotonic = monotonic
        self._base_url = base_url.rstrip("/")
        self._http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=timeout_seconds)
        )
        self._service: Any = build(
            "gmail",
            "v1",
            http=self._http,
            client_options={"api_endpoint": self._base_url},
            static_discovery=True,
            cache_discovery=False,
        )
        # Building a resource walks the discovery document (about 10 ms): once per client.
        self._users_resource: Any = self._service.users()
        self._messages: Any = self._users_resource.messages()
        self._governor = governor
        self._regime = regime
        self._retry = retry
        self.units_spent = 0
        self.requests_made = 0

    @staticmethod
    def transport_errors() -> tuple[type[BaseException], ...]:
        """What the retry loop should retry besides HTTP statuses (``retry_on``)."""
        return TRANSPORT_ERRORS

    def close(self) -> None:
        self._service.close()

    def __repr__(self) -> str:  # never the credentials
        return f"GmailClient(mailbox={self.mailbox!r}, base_url={self._base_url!r})"

    # ------------------------------------------------------------ calls

    def _spend(self, method: str, calls: int = 1) -> None:
        units = self._regime.cost(method) * calls
        started = self._monotonic()
        self._governor.acquire(units)
        self.units_spent += units
        if self._monotonic() - started > IDLE_CONNECTION_SECONDS:
            self._drop_idle_connections()

    def _drop_idle_connections(self) -> None:
        # Servers close keep-alive connections idle for a few seconds (uvicorn after 5 s, Google's
        # front ends too). After a long quota wait the pooled one is likely gone: a request sent
        # on it fails, is retried and spends its quota a second time (measured: each 10 s wait
        # of the current regime doubled). A fresh connection costs one handshake.
        connections = getattr(self._http.http, "connections", {})
        for connection in list(connections.values()):
            connection.close()
        connections.clear()

    def _run(self, method: str, make: Callable[[], Any]) -> Any:
        def attempt() -> Any:
            self._spend(method)
            self.requests_made += 1
            try:
                return make().execute(num_retries=0)
            except HttpError as error:
                raise self._classify(error, method) from error
            except RefreshError as error:
                raise self._refused() from error

        return self._retry.call(attempt)

    def _classify(self, error: HttpError, where: str) -> Exception:
        status = _status(error)
        if is_rate_limited(error):
            return RetryableError(f"{status} rate limited on {where}", rate_limited=True)
        if status in RETRYABLE_STATUSES:
            return RetryableError(f"{status} on {where}")
        if status == 401:
            return self._refused()
        if status == 404 and where == "history.list":
            return HistoryExpired(f"history of {self.mailbox} expired", status=404)
        reason = ",".join(sorted(_reasons(error))) or None
        return PermanentError(f"Gmail {where} answered {status}", status=status, code=reason)

    def _refused(self) -> AuthError:
        # A 401 makes the transport refresh the credentials; a token that cannot be refreshed
        # (or a refresh Google refuses) ends here too. The message names no credential.
        return AuthError(f"Gmail refused the credentials for {self.mailbox} (401)")

    def _users(self) -> Any:
        return self._users_resource

    def profile_history_id(self) -> int:
        answer = self._run("getProfile", lambda: self._users().getProfile(userId=self.mailbox))
        return int(answer["historyId"])

    def list_ids(
        self,
        *,
        query: str | None = None,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        page_size: int = 500,
    ) -> MessageIds:
        answer = self._run(
            "messages.list",
            lambda: (
                self._users()
                .messages()
                .list(
                    userId=self.mailbox,
                    q=query,
                    labelIds=list(label_ids) or None,
                    pageToken=page_token,
                    maxResults=page_size,
                    fields=LIST_FIELDS,
                )
            ),
        )
        ids = tuple((str(m["id"]), str(m["threadId"])) for m in answer.get("messages", ()))
        return MessageIds(ids, answer.get("nextPageToken"))

    def history(self, start_history_id: int, page_token: str | None = None) -> HistoryPage:
        answer = self._run(
            "history.list",
            lambda: (
                self._users()
                .history()
                .list(
                    userId=self.mailbox,
                    startHistoryId=str(start_history_id),
                    pageToken=page_token,
                    maxResults=500,
                )
            ),
        )
        changes = tuple(c for entry in answer.get("history", ()) for c in history_changes(entry))
        return HistoryPage(changes, answer.get("nextPageToken"), int(answer["historyId"]))

    def watch(self, topic: str, label_ids: Iterable[str] = ()) -> tuple[int, int]:
        """Start (or renew) push; returns (historyId, expiration in Unix ms)."""
        body = {"topicName": topic, "labelIds": list(label_ids), "labelFilterBehavior": "include"}
        answer = self._run("watch", lambda: self._users().watch(userId=self.mailbox, body=body))
        return int(answer["historyId"]), int(answer["expiration"])

    def stop(self) -> None:
        self._run("stop", lambda: self._users().stop(userId=self.mailbox))

    def modify(
        self, message_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> ModifiedLabels:
        """``messages.modify``: Gmail's labels of the message after the change."""
        body = {"addLabelIds": list(add), "removeLabelIds": list(remove)}
        answer = self._run(
            "messages.modify",
            lambda: self._messages.modify(userId=self.mailbox, id=message_id, body=body),
        )
        return ModifiedLabels.from_resource(answer)

    def label_ids(self) -> frozenset[str]:
        """``labels.list``: the ids of the mailbox's labels (system and user)."""
        answer = self._run("labels.list", lambda: self._users().labels().list(userId=self.mailbox))
        return frozenset(str(label["id"]) for label in answer.get("labels", ()))

    def get_raw(self, message_ids: Sequence[str]) -> BatchResult:
        """One batch of ``format=raw`` gets (at most ``MAX_BATCH`` ids)."""
        if not 0 < len(message_ids) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} ids, got {len(message_ids)}")
        return self._retry.call(lambda: self._batch_once(list(dict.fromkeys(message_ids))))

    def _batch_once(self, ids: list[str]) -> BatchResult:
        got: list[RawMessage] = []
        retry: list[str] = []
        missing: list[str] = []
        limited = 0
        refused: list[Exception] = []

        def done(request_id: str, response: Any, error: HttpError | None) -> None:
            nonlocal limited
            if error is None:
                got.append(RawMessage.from_resource(response))
            elif _status(error) == 404:
                missing.append(request_id)
            else:
                classified = self._classify(error, "messages.get")
                if isinstance(classified, RetryableError):
                    limited += int(classified.rate_limited)
                    retry.append(request_id)
                else:
                    refused.append(classified)

        batch = BatchHttpRequest(callback=done, batch_uri=f"{self._base_url}/batch/gmail/v1")
        for message_id in ids:
            request = self._messages.get(userId=self.mailbox, id=message_id, format="raw")
            batch.add(request, request_id=message_id)
        self._spend("messages.get", len(ids))
        self.requests_made += 1
        try:
            batch.execute(http=self._http)
        except HttpError as error:
            raise self._classify(error, "batch") from error
        except RefreshError as error:
            raise self._refused() from error
        if refused:
            raise refused[0]
        return BatchResult(tuple(got), tuple(retry), limited, tuple(missing))
