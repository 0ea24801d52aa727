"""The Buildium client: header auth, limit/offset paging ordered by a unique key and
de-duplicated, incremental windows, the account's rate governor, one retry layer.

- auth: :class:`~wonder.clients.buildium.auth.BuildiumAuth` (the two headers);
- pacing: the governor is acquired before every request, retries included. By default it is the
  process-wide bucket of the account (``governor.account_bucket``); flows pass a Prefect rate
  limit (``flows/governor.py``, strict) so every worker shares the account's 10 requests/s;
- retries: the shared :class:`~wonder.clients.retry.RetryLoop` — a 429 (Buildium sends no rate
  headers) and 500/503, transport errors and cut bodies back off exponentially from ~200 ms as
  the guide says; a POST is retried only after a 429 (nothing was posted), never after a 5xx or
  a lost answer (Buildium has no idempotency keys: a second try could post a second charge);
- paging: ``iterate_pages`` with ``OffsetPaging`` over ``X-Total-Count``, ``orderby`` on a
  unique key, records seen earlier in the same walk dropped (``duplicates_dropped`` counts);
- limits: no query string over ``max_query_chars`` is ever sent; id lists are split.

Errors: 401 ``AuthError``; 400/403/404/409/415/422 ``PermanentError``; retries exhausted
``RateLimited`` / ``TransientError``. No message, log line or repr holds the secret. An instance
is not thread-safe: one per thread, sharing the governor.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
import orjson

from wonder.clients.buildium import records as r
from wonder.clients.buildium.auth import BuildiumAuth
from wonder.clients.buildium.governor import account_bucket
from wonder.clients.buildium.queries import (
    IncrementalWindow,
    buildium_time,
    incremental_window,
    query_length,
    split_ids,
)
from wonder.clients.errors import AuthError, PermanentError, TransientError
from wonder.clients.governor import RateGovernor
from wonder.clients.paging import OffsetPaging, Page, PageRequest, iterate_pages
from wonder.clients.retry import BackoffPolicy, RetryableError, RetryLoop
from wonder.settings import BuildiumSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")
Message = dict[str, Any]


class BuildiumClient:
    def __init__(
        self,
        settings: BuildiumSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        governor: RateGovernor | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._wall_clock = wall_clock
        self.governor: RateGovernor = governor or account_bucket(
            settings.base_url, settings.client_id, settings.rate_per_second
        )
        self._retry = RetryLoop(
            service="Buildium",
            backoff=BackoffPolicy(
                base_seconds=settings.backoff_base_seconds,
                max_seconds=settings.backoff_max_seconds,
                max_retries=settings.max_retries,
            ),
            sleep=sleep,
            wall_clock=wall_clock,
            rng=rng,
        )
        self._auth = BuildiumAuth(settings.client_id, settings.client_secret)
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            auth=self._auth,
            event_hooks={"request": [self._on_request]},
        )
        self.requests_made = 0
        self.duplicates_dropped = 0

    def __repr__(self) -> str:
        return (
            f"BuildiumClient(base_url={self._settings.base_url!r}, "
            f"client_id={self._settings.client_id!r})"
        )

    def __enter__(self) -> BuildiumClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- paging --------------------------------------------------------------------------------

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, order_by: str = "Id asc"
    ) -> Iterator[Page[Message]]:
        """Every page of a list, raw (overlaps included), ordered by ``order_by``."""
        strategy = OffsetPaging(
            limit=self._settings.page_size, params={**(params or {}), "orderby": order_by}
        )
        return iterate_pages(lambda request: self._fetch_page(path, request), strategy)

    def messages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        order_by: str = "Id asc",
        key: str = "Id",
    ) -> Iterator[Message]:
        """Every record of a list once: a record a shifted page repeats is dropped."""
        seen: set[Any] = set()
        for page in self.pages(path, params, order_by=order_by):
            for message in page.records:
                if message[key] in seen:
                    self.duplicates_dropped += 1
                    continue
                seen.add(message[key])
                yield message

    def list_page(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        offset: int,
        limit: int,
        order_by: str = "Id asc",
    ) -> ListPage:
        """One ``limit``/``offset`` page as sent (no de-duplication: the caller pages), with
        ``X-Total-Count`` and the answer's ``Date`` header (the server's clock) when present."""
        query = {**(params or {}), "orderby": order_by, "limit": limit, "offset": offset}
        answer = self._call("GET", path, query, None)
        total = answer.headers.get("X-Total-Count")
        return ListPage(
            records=answer.body or [],
            total=int(total) if total is not None else None,
            server_time=_http_date(answer.headers.get("Date")),
        )

    def window(self, since: datetime | None) -> IncrementalWindow:
        """The incremental window after ``since`` (the stored watermark) with the overlap."""
        now = datetime.fromtimestamp(self._wall_clock(), tz=UTC)
        return incremental_window(since, overlap_seconds=self._settings.overlap_seconds, now=now)

    # -- resources -----------------------------------------------------------------------------

    def rentals(self, *, updated_from: datetime | None = None) -> Iterator[r.Rental]:
        return self._typed("/v1/rentals", r.Rental.of, updated_from)

    def units(self, *, updated_from: datetime | None = None) -> Iterator[r.Unit]:
        return self._typed("/v1/rentals/units", r.Unit.of, updated_from)

    def owners(self, *, updated_from: datetime | None = None) -> Iterator[r.RentalOwner]:
        return self._typed("/v1/rentals/owners", r.RentalOwner.of, updated_from)

    def tenants(self, *, updated_from: datetime | None = None) -> Iterator[r.Tenant]:
        return self._typed("/v1/leases/tenants", r.Tenant.of, updated_from)

    def leases(self, *, updated_from: datetime | None = None) -> Iterator[r.Lease]:
        return self._typed("/v1/leases", r.Lease.of, updated_from)

    def gl_accounts(self) -> Iterator[r.GLAccount]:
        return self._typed("/v1/glaccounts", r.GLAccount.of, None)

    def lease_transactions(self, lease_id: int) -> Iterator[r.LeaseTransaction]:
        return (
            r.LeaseTransaction.of(m) for m in self.messages(f"/v1/leases/{lease_id}/transactions")
        )

    def outstanding_balances(
        self, lease_ids: Sequence[int] | None = None
    ) -> Iterator[r.OutstandingBalance]:
        """Buildium's balances (leases owing nothing are not listed), for ``lease_ids`` or all."""
        path = "/v1/leases/outstandingbalances"
        chunks: list[dict[str, Any]] = [{}]
        if lease_ids is not None:
            chunks = list(
                split_ids(
                    {"orderby": "LeaseId asc"},
                    "leaseids",
                    lease_ids,
                    self._settings.max_query_chars,
                )
            )
        for params in chunks:
            params.pop("orderby", None)
            for message in self.messages(path, params, order_by="LeaseId asc", key="LeaseId"):
                yield r.OutstandingBalance.of(message)

    def gl_transactions(
        self,
        start: date,
        end: date,
        gl_account_ids: Sequence[int],
        *,
        updated_from: datetime | None = None,
    ) -> Iterator[r.GLTransaction]:
        params: dict[str, Any] = {"startdate": start.isoformat(), "enddate": end.isoformat()}
        if updated_from is not None:
            params["lastupdatedfrom"] = buildium_time(updated_from)
        seen: set[int] = set()
        base = {**params, "orderby": "Id asc"}
        for chunk in split_ids(
            base, "glaccountids", gl_account_ids, self._settings.max_query_chars
        ):
            chunk.pop("orderby")
            for message in self.messages("/v1/generalledger/transactions", chunk):
                if message["Id"] not in seen:
                    seen.add(message["Id"])
                    yield r.GLTransaction.of(message)

    def gl_transaction(self, transaction_id: int) -> r.GLTransaction:
        """One GL transaction: how a ``LeaseTransaction.*`` event finds its lease."""
        return r.GLTransaction.of(self.get(f"/v1/generalledger/transactions/{transaction_id}"))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("GET", path, params or {}, None).body

    # -- writes (read, merge, then PUT: a PUT clears every field it leaves out) ----------------

    def put(self, path: str, body: Mapping[str, Any]) -> Message:
        result: Message = self._call("PUT", path, {}, body).body
        return result

    def post_charge(self, lease_id: int, body: Mapping[str, Any]) -> list[Message]:
        result: list[Message] = self._call("POST", f"/v1/leases/{lease_id}/charges", {}, body).body
        return result

    # -- requests ------------------------------------------------------------------------------

    def _typed(
        self, path: str, build: Callable[[Message], T], updated_from: datetime | None
    ) -> Iterator[T]:
        params = {} if updated_from is None else {"lastupdatedfrom": buildium_time(updated_from)}
        return (build(m) for m in self.messages(path, params))

    def _fetch_page(self, path: str, request: PageRequest) -> Page[Message]:
        answer = self._call("GET", path, request.params, None)
        total = answer.headers.get("X-Total-Count")
        return Page(records=answer.body, total=int(total) if total is not None else None)

    def _call(
        self, method: str, path: str, params: Mapping[str, Any], body: Mapping[str, Any] | None
    ) -> _Answer:
        length = query_length(params)
        if length > self._settings.max_query_chars:
            raise PermanentError(
                f"Buildium {method} {path}: a {length}-character query string is over the "
                f"{self._settings.max_query_chars} Buildium accepts",
                status=0,
                code="query_too_long",
            )
        return self._retry.call(lambda: self._attempt(method, path, params, body))

    def _attempt(
        self, method: str, path: str, params: Mapping[str, Any], body: Mapping[str, Any] | None
    ) -> _Answer:
        where = f"{method} {path}"
        content = None if body is None else json.dumps(body, default=_json_default).encode()
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, path, params=dict(params), content=content, headers=headers
            )
        except (httpx.TransportError, httpx.DecodingError) as exc:
            if method == "POST":
                raise TransientError(
                    f"{type(exc).__name__} on {where} (not retried: it may have been posted)"
                ) from exc
            raise RetryableError(f"{type(exc).__name__} on {where}") from exc
        status = response.status_code
        logger.debug("%s -> %s", where, status)
        if 200 <= status < 300:
            try:
                # orjson: numbers stay JSON floats (the raw message stays plain JSON); money
                # is exact all the same, as a float's repr is the decimal it was read from.
                parsed = orjson.loads(response.content) if response.content else None
            except ValueError as exc:
                if method == "POST":
                    raise TransientError(f"unreadable answer to {where} (not retried)") from exc
                raise RetryableError(f"truncated or invalid body on {where}") from exc
            return _Answer(parsed, response.headers)
        detail = self._auth.redact(_error_detail(response))
        if status == 401:
            raise AuthError(f"Buildium rejected the API key on {where} (401 {detail})")
        failure = self._retry.failure_for_status(
            status, response.headers, where=where, detail=detail
        )
        if failure is not None:
            if method == "POST" and status != 429:
                raise TransientError(f"Buildium {status} on {where}: {detail} (not retried)")
            raise failure
        raise PermanentError(
            f"Buildium {status} on {where}: {detail}", status=status, code=_error_code(response)
        )

    def _on_request(self, request: httpx.Request) -> None:
        self.governor.acquire()
        self.requests_made += 1


@dataclass(frozen=True)
class ListPage:
    records: list[Message]
    total: int | None
    # The answer's Date header (None when absent or unreadable).
    server_time: datetime | None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _Answer:
    __slots__ = ("body", "headers")

    def __init__(self, body: Any, headers: httpx.Headers) -> None:
        self.body = body
        self.headers = headers


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response: httpx.Response) -> str | None:
    code = _error_body(response).get("ErrorCode")
    return str(code) if code else None


def _error_detail(response: httpx.Response) -> str:
    body = _error_body(response)
    message = str(body.get("UserMessage") or response.reason_phrase or "")
    errors = body.get("Errors") or []
    fields = "; ".join(f"{e.get('Key')}: {e.get('Value')}" for e in errors if isinstance(e, dict))
    return f"{message} ({fields})" if fields else message
