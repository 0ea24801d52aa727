"""The CoreLogic Trestle client: OAuth2 client credentials + OData v4 over a sync httpx.Client.

One instance per connection. It owns the token cache, the quota pacer and the only retry layer:

- token: fetched on first use, refreshed ``token_refresh_margin_seconds`` before it expires;
  a 401 from the OData API drops it and retries once with a fresh one;
- retries: 429, 500/502/503/504, transport errors and unparseable 200 bodies are retried with
  exponential backoff and jitter up to ``max_retries``, then ``RateLimited``/``TransientError``;
  400/403/404 (and other 4xx) raise ``PermanentError`` at once;
- pacing: the quota headers of each answer decide whether the next request must wait.

Nothing here logs or raises with the client secret or the access token. An instance is not
thread-safe: use one per thread (or per flow run).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import httpx

from wonder.clients.errors import AuthError, PermanentError, RateLimited, TransientError
from wonder.clients.odata import build_query
from wonder.clients.pacing import QuotaPacer, QuotaSnapshot
from wonder.clients.retry import BackoffPolicy, parse_retry_after
from wonder.settings import TrestleSettings

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# A token response without expires_in is assumed to live this long.
DEFAULT_TOKEN_TTL_SECONDS = 3600.0

__all__ = ["ODataPage", "QuotaSnapshot", "TrestleClient"]


@dataclass(frozen=True)
class ODataPage:
    """One page of an OData collection."""

    records: list[dict[str, Any]]
    next_link: str | None
    count: int | None  # @odata.count when count=True was asked


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # monotonic time after which a new token is fetched


@dataclass(frozen=True)
class _Retryable:
    """An attempt failed in a way a retry may fix."""

    kind: Literal["rate", "transient"]
    reason: str
    retry_after: float | None = None


class TrestleClient:
    """Talks to one Trestle (or sandbox) OData service; see the module docstring."""

    def __init__(
        self,
        settings: TrestleSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()  # jitter only, not security
        self._backoff = BackoffPolicy(
            base_seconds=settings.backoff_base_seconds,
            max_seconds=settings.backoff_max_seconds,
            max_retries=settings.max_retries,
        )
        self._max_quota_wait = settings.max_quota_wait_seconds
        self._pacer = QuotaPacer(
            reserve=settings.quota_reserve,
            max_wait_seconds=self._max_quota_wait,
            clock=clock,
            sleep=sleep,
            wall_clock=wall_clock,
        )
        base = httpx.URL(settings.base_url.rstrip("/") + "/")
        self._origin = (base.scheme, base.host, base.port)
        self._token_url = base.join(settings.token_path.lstrip("/"))
        self._odata_root = base.join(settings.odata_path.strip("/") + "/")
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
        )
        self._token: _Token | None = None
        self._requests_made = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> TrestleClient:
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

    def __repr__(self) -> str:
        settings = self._settings
        return f"TrestleClient(base_url={settings.base_url!r}, client_id={settings.client_id!r})"

    # -- public API --------------------------------------------------------------------------

    @property
    def requests_made(self) -> int:
        """HTTP requests sent to the OData root by this client (retries included)."""
        return self._requests_made

    @property
    def quota(self) -> QuotaSnapshot | None:
        """The quota headers of the last OData answer that had them."""
        return self._pacer.snapshot

    @property
    def quota_wait_seconds(self) -> float:
        """Total time spent waiting for quota windows (for benchmarks)."""
        return self._pacer.waited_seconds

    def pages(
        self,
        resource: str,
        *,
        select: Sequence[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | None = None,
        count: bool = False,
        replication: bool = False,
        follow_next_links: bool = True,
    ) -> Iterator[ODataPage]:
        """Query ``resource`` and yield its pages, following ``@odata.nextLink``.

        ``top`` defaults to ``settings.page_size``. Stops after a page without a nextLink or an
        empty page (a full last page carries a nextLink; the page after it is empty and is
        yielded too). With ``follow_next_links=False`` only the first page is fetched.
        """
        params: dict[str, str] = {}
        if select:
            params["$select"] = ",".join(select)
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = orderby
        params["$top"] = str(self._settings.page_size if top is None else top)
        if skip is not None:
            params["$skip"] = str(skip)
        if expand:
            params["$expand"] = expand
        if count:
            params["$count"] = "true"
        if replication:
            params["replication"] = "true"
        url = self._odata_root.join(resource.strip("/"))
        first = httpx.URL(str(url) + "?" + build_query(params))
        return self._walk(first, follow_next_links=follow_next_links)

    def resume(self, next_link: str) -> Iterator[ODataPage]:
        """Continue a walk from a stored ``@odata.nextLink`` (absolute or relative)."""
        return self._walk(self._resolve_link(next_link), follow_next_links=True)

    def metadata(self) -> str:
        """The ``$metadata`` EDMX document (needs the token)."""
        url = self._odata_root.join("$metadata")
        body = self._odata_get(url, accept="application/xml", parse=_parse_edmx)
        assert isinstance(body, str)
        return body

    # -- paging ------------------------------------------------------------------------------

    def _walk(self, url: httpx.URL, *, follow_next_links: bool) -> Iterator[ODataPage]:
        while True:
            payload = self._odata_get(url, accept="application/json", parse=_parse_collection)
            assert isinstance(payload, dict)
            page = _page_from(payload)
            yield page
            if not follow_next_links or not page.records or page.next_link is None:
                return
            url = self._resolve_link(page.next_link)

    def _resolve_link(self, link: str) -> httpx.URL:
        """Resolve a nextLink against the OData root; refuse other origins (the token would go)."""
        url = self._odata_root.join(link)
        if (url.scheme, url.host, url.port) != self._origin:
            raise PermanentError(
                f"Trestle nextLink points outside {self._settings.base_url}: {url.host}",
                status=0,
                code="foreign_next_link",
            )
        return url

    # -- OData requests: pacing, auth, retries -----------------------------------------------

    def _odata_get(
        self, url: httpx.URL, *, accept: str, parse: Callable[[bytes], object | None]
    ) -> object:
        reauthenticated = False
        attempt = 0
        while True:
            self._pacer.before_request()
            token = self._access_token()
            sent_at = self._clock()
            self._pacer.request_sent(sent_at)
            self._requests_made += 1
            outcome: object | _Retryable
            try:
                response = self._http.get(
                    url, headers={"Authorization": f"Bearer {token}", "Accept": accept}
                )
            except (httpx.TransportError, httpx.DecodingError) as exc:
                self._log("GET", url, None, sent_at, exc.__class__.__name__)
                outcome = _Retryable("transient", f"{exc.__class__.__name__} on GET {url.path}")
            else:
                self._pacer.observe(QuotaSnapshot.from_headers(response.headers), sent_at=sent_at)
                self._log("GET", url, response.status_code, sent_at)
                if response.status_code == 401 and not reauthenticated:
                    # The token expired or was revoked early: one fresh token, one more try.
                    reauthenticated = True
                    self._token = None
                    continue
                outcome = self._interpret(response, url, parse)
            if not isinstance(outcome, _Retryable):
                return outcome
            attempt = self._retry_or_raise(outcome, attempt)

    def _interpret(
        self, response: httpx.Response, url: httpx.URL, parse: Callable[[bytes], object | None]
    ) -> object | _Retryable:
        status = response.status_code
        where = f"GET {url.path}"
        if status == 200:
            body = parse(response.content)
            if body is None:
                return _Retryable("transient", f"truncated or invalid body on {where}")
            return body
        code, message = _odata_error(response)
        detail = self._redact(f"{code}: {message}" if code else message)
        if status == 401:
            raise AuthError(f"Trestle rejected a fresh token on {where} (401 {detail})")
        if status == 429:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), now=self._wall_now()
            )
            return _Retryable("rate", f"429 on {where}", retry_after)
        if status in RETRYABLE_STATUSES:
            return _Retryable("transient", f"{status} on {where} ({detail})")
        raise PermanentError(f"Trestle {status} on {where}: {detail}", status=status, code=code)

    def _retry_or_raise(self, failure: _Retryable, attempt: int) -> int:
        """Sleep before the next attempt, or raise once ``max_retries`` retries are spent."""
        if attempt >= self._backoff.max_retries:
            message = f"Trestle gave up after {attempt + 1} attempts: {failure.reason}"
            if failure.kind == "rate":
                hint = failure.retry_after or self._pacer.pending().wait_seconds or None
                raise RateLimited(message, retry_after=hint)
            raise TransientError(message)
        if failure.retry_after is not None:
            if failure.retry_after > self._max_quota_wait:
                raise RateLimited(
                    f"Trestle asked to wait {failure.retry_after:.0f} s: {failure.reason}",
                    retry_after=failure.retry_after,
                )
            delay = failure.retry_after
        elif failure.kind == "rate" and self._pacer.pending().wait_seconds > 0:
            delay = 0.0  # the quota headers of the 429 already tell the pacer how long to wait
        else:
            delay = self._backoff.delay(attempt, self._rng)
        logger.debug("Trestle retry %d in %.2f s: %s", attempt + 1, delay, failure.reason)
        if delay > 0:
            self._sleep(delay)
        return attempt + 1

    # -- token -------------------------------------------------------------------------------

    def _access_token(self) -> str:
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token.value
        self._token = None
        attempt = 0
        while True:
            outcome = self._request_token()
            if isinstance(outcome, _Token):
                self._token = outcome
                return outcome.value
            attempt = self._retry_or_raise(outcome, attempt)

    def _request_token(self) -> _Token | _Retryable:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret.get_secret_value(),
            "scope": self._settings.scope,
        }
        sent_at = self._clock()
        try:
            response = self._http.post(
                self._token_url, data=form, headers={"Accept": "application/json"}
            )
        except (httpx.TransportError, httpx.DecodingError) as exc:
            self._log("POST", self._token_url, None, sent_at, exc.__class__.__name__)
            return _Retryable("transient", f"{exc.__class__.__name__} on the token request")
        self._log("POST", self._token_url, response.status_code, sent_at)
        status = response.status_code
        if status == 200:
            return self._token_from(response.content, issued_at=sent_at) or _Retryable(
                "transient", "truncated or invalid token response"
            )
        if status == 429:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), now=self._wall_now()
            )
            return _Retryable("rate", "429 on the token request", retry_after)
        if status in RETRYABLE_STATUSES:
            return _Retryable("transient", f"{status} on the token request")
        code, message = _oauth_error(response)
        raise AuthError(
            self._redact(
                f"Trestle token request for client_id {self._settings.client_id!r} "
                f"rejected ({status} {code or ''}{': ' + message if message else ''})"
            )
        )

    def _token_from(self, content: bytes, *, issued_at: float) -> _Token | None:
        body = _parse_json(content)
        if not isinstance(body, dict):
            return None
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            return None
        ttl = body.get("expires_in", DEFAULT_TOKEN_TTL_SECONDS)
        try:
            ttl_seconds = float(ttl)
        except (TypeError, ValueError):
            ttl_seconds = DEFAULT_TOKEN_TTL_SECONDS
        # A token shorter-lived than the margin is still used for half its life.
        margin = min(self._settings.token_refresh_margin_seconds, ttl_seconds / 2)
        return _Token(value=value, refresh_at=issued_at + ttl_seconds - margin)

    # -- helpers -----------------------------------------------------------------------------

    def _wall_now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), tz=UTC)

    def _redact(self, text: str) -> str:
        """Remove the secret and the current token from text that came from the server."""
        for secret in (self._settings.client_secret.get_secret_value(), self._token_value()):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _token_value(self) -> str | None:
        return self._token.value if self._token is not None else None

    def _log(
        self,
        method: str,
        url: httpx.URL,
        status: int | None,
        sent_at: float,
        failure: str | None = None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        target = url.raw_path.decode("ascii", "replace")
        quota = self._pacer.snapshot
        logger.debug(
            "%s %s -> %s in %.3f s (minute quota available %s, hour %s)",
            method,
            target,
            status if status is not None else failure,
            self._clock() - sent_at,
            quota.minute_available if quota else None,
            quota.hour_available if quota else None,
        )


# -- response parsing (pure) -----------------------------------------------------------------


def _parse_json(content: bytes) -> object | None:
    try:
        parsed: object = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed


def _parse_collection(content: bytes) -> object | None:
    """An OData collection body, or ``None`` when truncated or not a collection."""
    body = _parse_json(content)
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        return None
    return body


def _parse_edmx(content: bytes) -> object | None:
    """The EDMX text, or ``None`` when it is cut short (it must close its root element)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.rstrip().endswith("Edmx>") else None


def _page_from(body: dict[str, Any]) -> ODataPage:
    records = [record for record in body["value"] if isinstance(record, dict)]
    next_link = body.get("@odata.nextLink")
    count = body.get("@odata.count")
    return ODataPage(
        records=records,
        next_link=next_link if isinstance(next_link, str) and next_link else None,
        count=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


def _odata_error(response: httpx.Response) -> tuple[str | None, str]:
    """``(code, message)`` from an OData error body ``{"error": {"code", "message"}}``."""
    body = _parse_json(response.content)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = error.get("code")
        message = error.get("message")
        return (
            str(code) if code not in (None, "") else None,
            str(message) if message else response.reason_phrase,
        )
    return None, response.reason_phrase


def _oauth_error(response: httpx.Response) -> tuple[str | None, str]:
    """``(error, error_description)`` from an OAuth2 error body, falling back to OData's shape."""
    body = _parse_json(response.content)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"], str(description) if description else ""
    return _odata_error(response)
