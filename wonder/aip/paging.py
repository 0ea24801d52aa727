"""AIP-158 paging for every ``List*`` method: page size, signed token in, next token out.

A method states what its token is bound to (the query's canonical parts) and its keyset; the
repository fetches ``fetch_limit`` rows (one more than the page, to know whether more follow)
strictly after ``after``; :meth:`PageCursor.finish` cuts the page and signs the next position::

    pager = Pager(codec, service="wonder.v1.ThingService", default_size=50, max_size=1000)
    cursor = pager.start("ListThings", request.page_size, request.page_token, KEYS, parent=key)
    rows = await repo.list_things(key, cursor.after, cursor.fetch_limit)
    page, next_page_token = cursor.finish(rows, lambda row: position_of(row, ORDER))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from wonder.aip.fields import FieldSpec, SortValue
from wonder.aip.ordering import position_from_json, position_to_json
from wonder.aip.pagetoken import PageTokenCodec, PageTokenError, query_fingerprint
from wonder.errors import InvalidArgument

_Row = TypeVar("_Row")


def resolve_page_size(requested: int, default: int, maximum: int) -> int:
    """AIP-158: 0 means the default, above the maximum is clamped, negative is an error."""
    if requested < 0:
        raise InvalidArgument("page_size", f"must not be negative, got {requested}")
    if requested == 0:
        return min(default, maximum)
    return min(requested, maximum)


@dataclass(frozen=True)
class PageCursor:
    """Where one page starts, and how to end it."""

    codec: PageTokenCodec
    fingerprint: str
    keys: tuple[FieldSpec, ...]
    page_size: int
    after: list[SortValue] | None

    @property
    def fetch_limit(self) -> int:
        return self.page_size + 1

    def finish(
        self, rows: Sequence[_Row], position: Callable[[_Row], Sequence[SortValue]]
    ) -> tuple[list[_Row], str]:
        """The page's rows and the next page's token ("" on the last page)."""
        page = list(rows[: self.page_size])
        if len(rows) <= self.page_size or not page:
            return page, ""
        last = position_to_json(self.keys, position(page[-1]))
        return page, self.codec.encode(self.fingerprint, last)


class Pager:
    """Page sizes and tokens for one service, with the API's secret and size limits.

    ``service`` (e.g. ``wonder.v1.ListingService``) is part of every token's fingerprint, so two
    services sharing the secret and a method name never accept each other's tokens.
    """

    def __init__(
        self, codec: PageTokenCodec, *, service: str, default_size: int, max_size: int
    ) -> None:
        self._codec = codec
        self._service = service
        self._default_size = default_size
        self._max_size = max_size

    def start(
        self,
        method: str,
        page_size: int,
        page_token: str,
        keys: Sequence[FieldSpec],
        **query: object,
    ) -> PageCursor:
        """The cursor of a request; ``query`` holds what the token is bound to (not page_size).

        Raises InvalidArgument for a negative size and PageTokenError for a token that is
        altered, another query's, or holds a position its keys cannot.
        """
        size = resolve_page_size(page_size, self._default_size, self._max_size)
        fingerprint = query_fingerprint(method=f"{self._service}/{method}", **query)
        after: list[SortValue] | None = None
        if page_token:
            raw = self._codec.decode(page_token, fingerprint)
            try:
                after = position_from_json(tuple(keys), raw)
            except ValueError as error:
                raise PageTokenError("the page token is malformed") from error
        return PageCursor(self._codec, fingerprint, tuple(keys), size, after)
