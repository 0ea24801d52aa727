"""One paging loop for every client, driven by small strategy objects.

A strategy answers one question: given the request just sent and the page it returned, what is
the next request, or ``None`` when the walk is over? ``iterate_pages(fetch, strategy)`` is the
only loop; ``fetch`` turns a :class:`PageRequest` into a page (HTTP, retries and pacing are the
client's business). The four strategies:

=================  ==========================================  =================================
strategy           next request                                stops on
=================  ==========================================  =================================
NextLinkPaging     follow ``page.next_link`` (OData nextLink)  empty page, no link
KeysetPaging       params the caller builds from the records   empty page, short page, ``None``
OffsetPaging       ``offset += len(records)`` (Buildium)       empty page, ``offset >= total``
                                                               (``X-Total-Count``), else short
PageTokenPaging    ``pageToken = page.next_token`` (Gmail)     no token
=================  ==========================================  =================================

Whatever the strategy, the loop never sends the same request twice: a next link that does not
move, a token the server repeats or a keyset position that does not advance ends the walk with a
warning instead of looping forever.

A strategy instance drives one walk. Pages are read through small protocols
(``records``, ``next_link``, ``next_token``, ``total``), so a client may yield its own page type
(``ODataPage``) or the generic :class:`Page`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

logger = logging.getLogger(__name__)

Params = Mapping[str, Any]
T = TypeVar("T")
P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)

__all__ = [
    "KeysetPaging",
    "NextLinkPaging",
    "OffsetPaging",
    "Page",
    "PageRequest",
    "PageTokenPaging",
    "Pager",
    "Params",
    "iterate_pages",
]


@dataclass(frozen=True)
class PageRequest:
    """What to fetch: a ``link`` to follow as it is, or the client's base request with ``params``
    (a link, when set, already carries its own query)."""

    link: str | None = None
    params: Params = field(default_factory=dict)

    def key(self) -> tuple[str | None, tuple[tuple[str, str], ...]]:
        """A hashable identity of the request (the loop refuses to send one twice)."""
        return self.link, tuple(sorted((name, repr(value)) for name, value in self.params.items()))


@dataclass(frozen=True)
class Page(Generic[T]):
    """A generic page for clients without a page type of their own."""

    records: Sequence[T]
    next_link: str | None = None
    next_token: str | None = None
    total: int | None = None  # X-Total-Count, @odata.count, resultSizeEstimate


class HasRecords(Protocol):
    @property
    def records(self) -> Sequence[Any]: ...


class HasNextLink(HasRecords, Protocol):
    @property
    def next_link(self) -> str | None: ...


class HasTotal(HasRecords, Protocol):
    @property
    def total(self) -> int | None: ...


class HasNextToken(Protocol):
    @property
    def next_token(self) -> str | None: ...


# Each strategy's ``next`` is generic over the pages it can read, so ``iterate_pages`` infers
# the page type from ``fetch`` (``Iterator[ODataPage]``), not from the strategy's protocol.
_Records = TypeVar("_Records", bound=HasRecords)
_Linked = TypeVar("_Linked", bound=HasNextLink)
_Totalled = TypeVar("_Totalled", bound=HasTotal)
_Tokened = TypeVar("_Tokened", bound=HasNextToken)


class Pager(Protocol[P_contra]):
    """A paging strategy: the first request, then each next one from the last page."""

    def first(self) -> PageRequest: ...

    def next(self, request: PageRequest, page: P_contra) -> PageRequest | None: ...


def iterate_pages(
    fetch: Callable[[PageRequest], P], strategy: Pager[P], *, max_pages: int | None = None
) -> Iterator[P]:
    """Fetch and yield pages as ``strategy`` directs, at most ``max_pages`` of them.

    Lazy: nothing is fetched before the first ``next()``. Every page is yielded, the empty last
    one included (OData sends a nextLink on a full last page; the page after it is empty).
    """
    request: PageRequest | None = strategy.first()
    sent: set[tuple[str | None, tuple[tuple[str, str], ...]]] = set()
    fetched = 0
    while request is not None:
        key = request.key()
        if key in sent:
            logger.warning(
                "paging stopped after %d pages: the next request repeats an earlier one "
                "(%s did not move)",
                fetched,
                "the next link" if request.link is not None else "the token or position",
            )
            return
        sent.add(key)
        page = fetch(request)
        fetched += 1
        yield page
        if max_pages is not None and fetched >= max_pages:
            return
        request = strategy.next(request, page)


@dataclass(frozen=True)
class NextLinkPaging:
    """Follow ``page.next_link`` (OData ``@odata.nextLink``, a ``Link: rel=next`` header) until a
    page is empty or has no link. ``first`` is usually ``PageRequest(link=<first URL>)``."""

    first_request: PageRequest = field(default_factory=PageRequest)

    def first(self) -> PageRequest:
        return self.first_request

    def next(self, request: PageRequest, page: _Linked) -> PageRequest | None:
        if not page.records or page.next_link is None:
            return None
        return PageRequest(link=page.next_link)


@dataclass(frozen=True)
class KeysetPaging:
    """Seek paging: the caller builds the next request's params from the page just read (e.g. a
    ``$filter`` after the last ``(ModificationTimestamp, ListingKey)``).

    ``after(records)`` returns the params that replace ``params`` for the next request (merged
    over them), or ``None`` when the page gives no position to continue from. A page shorter
    than ``page_size`` is the last one; without ``page_size`` the walk ends on an empty page.
    """

    params: Params
    after: Callable[[Sequence[Any]], Params | None]
    page_size: int | None = None

    def first(self) -> PageRequest:
        return PageRequest(params=dict(self.params))

    def next(self, request: PageRequest, page: _Records) -> PageRequest | None:
        records = page.records
        if not records or (self.page_size is not None and len(records) < self.page_size):
            return None
        following = self.after(records)
        if following is None:
            return None
        return PageRequest(params={**self.params, **following})


@dataclass(frozen=True)
class OffsetPaging:
    """``limit``/``offset`` paging with an optional total (Buildium's ``X-Total-Count``).

    The offset advances by the number of records received, not by ``limit``: a server that caps
    the limit (Buildium caps at 1000) is still walked without gaps. With a total the walk ends at
    ``offset >= total``; without one, at a short page. An empty page always ends it.
    Sort on a unique key, or pages can overlap.
    """

    limit: int
    params: Params = field(default_factory=dict)
    offset: int = 0
    limit_param: str = "limit"
    offset_param: str = "offset"

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"OffsetPaging.limit must be >= 1, got {self.limit}")
        if self.offset < 0:
            raise ValueError(f"OffsetPaging.offset must be >= 0, got {self.offset}")

    def first(self) -> PageRequest:
        return PageRequest(
            params={**self.params, self.limit_param: self.limit, self.offset_param: self.offset}
        )

    def next(self, request: PageRequest, page: _Totalled) -> PageRequest | None:
        received = len(page.records)
        if received == 0:
            return None
        offset = int(request.params[self.offset_param]) + received
        if page.total is not None:
            if offset >= page.total:
                return None
        elif received < self.limit:
            return None
        return PageRequest(params={**request.params, self.offset_param: offset})


@dataclass(frozen=True)
class PageTokenPaging:
    """Continuation tokens (Gmail ``nextPageToken``, Airtable ``offset``): send the page's token
    as ``token_param`` until a page comes without one. An empty page with a token goes on (Gmail
    may send one); a token seen before ends the walk (see :func:`iterate_pages`)."""

    params: Params = field(default_factory=dict)
    token_param: str = "pageToken"  # noqa: S105 (a parameter name, not a secret)

    def first(self) -> PageRequest:
        return PageRequest(params=dict(self.params))

    def next(self, request: PageRequest, page: _Tokened) -> PageRequest | None:
        token = page.next_token
        if not token:
            return None
        return PageRequest(params={**request.params, self.token_param: token})
