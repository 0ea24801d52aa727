"""The CoreLogic Trestle client: OAuth2 client credentials + OData v4 over a sync httpx.Client.

One instance per connection, assembled from the shared pieces of ``wonder.clients``:

- token: :class:`~wonder.clients.trestle.auth.TrestleAuth` (an ``httpx.Auth``) fetches it on
  first use, refreshes it ``token_refresh_margin_seconds`` before it expires, and answers a 401
  by dropping it and retrying once with a fresh one;
- retries: the one :class:`~wonder.clients.retry.RetryLoop`: 429, 500/502/503/504, transport
  errors and unparseable 200 bodies are retried with exponential backoff and jitter up to
  ``max_retries``, then ``RateLimited``/``TransientError``; 400/403/404 (and other 4xx) raise
  ``PermanentError`` at once;
- pacing: a governor is asked before every OData request (the quota pacer, which reads the
  quota headers of each answer, plus any shared ``governor`` given);
- paging: ``iterate_pages`` with ``NextLinkPaging`` over ``@odata.nextLink``.

Nothing here logs or raises with the client secret or the access token. An instance is not
thread-safe: use one per thread (or per flow run).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TypeVar

import httpx

from wonder.clients.errors import AuthError, PermanentError
from wonder.clients.governor import AllOf, RateGovernor
from wonder.clients.odata import ODataQuery, build_query
from wonder.clients.paging import NextLinkPaging, PageRequest, iterate_pages
from wonder.clients.retry import BackoffPolicy, RetryableError, RetryLoop
from wonder.clients.trestle.auth import TrestleAuth
from wonder.clients.trestle.pacing import QuotaPacer, QuotaSnapshot
from wonder.clients.trestle.responses import ODataPage, odata_error, parse_edmx, parse_page
from wonder.settings import TrestleSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["ODataPage", "QuotaSnapshot", "TrestleClient"]


class TrestleClient:
    """Talks to one Trestle (or sandbox) OData service; see the module docstring.

    ``governor`` is acquired after the client's own quota pacer before every OData request:
    pass one shared by every consumer of the connection (e.g. ``flows.governor``'s Prefect
    rate limit) to keep several flow runs inside one budget.
    """

    def __init__(
        self,
        settings: TrestleSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        governor: RateGovernor | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._pacer = QuotaPacer(
            reserve=settings.quota_reserve,
            max_wait_seconds=settings.max_quota_wait_seconds,
            clock=clock,
            sleep=sleep,
            wall_clock=wall_clock,
        )
        self._governor: RateGovernor = (
            self._pacer if governor is None else AllOf(self._pacer, governor)
        )
        self._retry = RetryLoop(
            service="Trestle",
            backoff=BackoffPolicy(
                base_seconds=settings.backoff_base_seconds,
                max_seconds=settings.backoff_max_seconds,
                max_retries=settings.max_retries,
            ),
            max_wait_seconds=settings.max_quota_wait_seconds,
            sleep=sleep,
            wall_clock=wall_clock,
            rng=rng,
            governor=self._governor,
        )
        base = httpx.URL(settings.base_url.rstrip("/") + "/")
        self._origin = (base.scheme, base.host, base.port)
        self._odata_root = base.join(settings.odata_path.strip("/") + "/")
        self._auth = TrestleAuth(
            settings,
            token_url=base.join(settings.token_path.lstrip("/")),
            clock=clock,
            retry=self._retry,
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            auth=self._auth,
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        self._requests_made = 0
        self._sent_at = 0.0  # send time of the request in flight (one at a time)

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
        query: ODataQuery | None = None,
        *,
        replication: bool = False,
        follow_next_links: bool = True,
    ) -> Iterator[ODataPage]:
        """Query ``resource`` and yield its pages, following ``@odata.nextLink``.

        ``query.top`` defaults to ``settings.page_size``. Stops after a page without a nextLink
        or an empty page (a full last page carries a nextLink; the page after it is empty and is
        yielded too). With ``follow_next_links=False`` only the first page is fetched.
        """
        params = (query or ODataQuery()).to_params(default_top=self._settings.page_size)
        if replication:
            params["replication"] = "true"
        url = self._odata_root.join(resource.strip("/"))
        first = PageRequest(link=str(url) + "?" + build_query(params))
        return iterate_pages(
            self._fetch_page, NextLinkPaging(first), max_pages=None if follow_next_links else 1
        )

    def resume(self, next_link: str) -> Iterator[ODataPage]:
        """Continue a walk from a stored ``@odata.nextLink`` (absolute or relative)."""
        return iterate_pages(self._fetch_page, NextLinkPaging(PageRequest(link=next_link)))

    def metadata(self) -> str:
        """The ``$metadata`` EDMX document (needs the token)."""
        return self._get(
            self._odata_root.join("$metadata"), accept="application/xml", parse=parse_edmx
        )

    # -- requests ----------------------------------------------------------------------------

    def _fetch_page(self, request: PageRequest) -> ODataPage:
        assert request.link is not None  # NextLinkPaging only ever asks for links
        return self._get(
            self._resolve_link(request.link), accept="application/json", parse=parse_page
        )

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

    def _get(self, url: httpx.URL, *, accept: str, parse: Callable[[bytes], T | None]) -> T:
        return self._retry.call(lambda: self._attempt(url, accept, parse))

    def _attempt(self, url: httpx.URL, accept: str, parse: Callable[[bytes], T | None]) -> T:
        """One GET (with its token request and 401 retry, if any): the value, or an error."""
        try:
            response = self._http.get(url, headers={"Accept": accept})
        except (httpx.TransportError, httpx.DecodingError) as exc:
            try:
                failed = exc.request
            except RuntimeError:  # raised before httpx attached the request
                failed = httpx.Request("GET", url)
            name = exc.__class__.__name__
            self._log(failed, None, name)
            where = "the token request" if failed.url == self._auth.token_url else f"GET {url.path}"
            raise RetryableError(f"{name} on {where}") from exc
        where = f"GET {url.path}"
        status = response.status_code
        if status == 200:
            body = parse(response.content)
            if body is None:
                raise RetryableError(f"truncated or invalid body on {where}")
            return body
        code, message = odata_error(response)
        detail = self._auth.redact(f"{code}: {message}" if code else message)
        if status == 401:
            raise AuthError(f"Trestle rejected a fresh token on {where} (401 {detail})")
        failure = self._retry.failure_for_status(
            status, response.headers, where=where, detail=detail
        )
        if failure is not None:
            raise failure
        raise PermanentError(f"Trestle {status} on {where}: {detail}", status=status, code=code)

    # -- event hooks: every request the client sends, token requests and 401 retries included --

    def _is_odata(self, request: httpx.Request) -> bool:
        return request.url.raw_path.startswith(self._odata_root.raw_path)

    def _on_request(self, request: httpx.Request) -> None:
        if self._is_odata(request):
            self._governor.acquire()
            self._requests_made += 1
        self._sent_at = self._clock()

    def _on_response(self, response: httpx.Response) -> None:
        request = response.request
        if self._is_odata(request):
            self._governor.observe(response.headers)
        self._log(request, response.status_code)

    def _log(self, request: httpx.Request, status: int | None, failure: str | None = None) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        quota = self._pacer.snapshot
        logger.debug(
            "%s %s -> %s in %.3f s (minute quota available %s, hour %s)",
            request.method,
            request.url.raw_path.decode("ascii", "replace"),
            status if status is not None else failure,
            self._clock() - self._sent_at,
            quota.minute_available if quota else None,
            quota.hour_available if quota else None,
        )
