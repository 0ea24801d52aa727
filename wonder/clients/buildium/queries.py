"""Query strings the Buildium client sends: date-time filters in Buildium's format, id lists
split so that no query string ever exceeds Buildium's 4,096 characters (a longer one is a 500),
and the incremental window (``lastupdatedfrom`` = watermark - overlap, inclusive)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

# The largest offset a walk could send (ten million records), for the length budget.
_LONGEST_PAGING = {"limit": 1000, "offset": 9_999_999}


def buildium_time(moment: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SSZ`` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def query_length(params: Mapping[str, Any]) -> int:
    return len(str(httpx.QueryParams(dict(params))))


def split_ids(
    params: Mapping[str, Any], name: str, ids: Sequence[int], max_chars: int
) -> Iterator[dict[str, Any]]:
    """``params`` with ``name`` set to successive chunks of ``ids``, each chunk as long as the
    query string (with the longest paging parameters a walk adds) stays within ``max_chars``."""
    base = query_length({**params, **_LONGEST_PAGING})
    if base >= max_chars:
        raise ValueError(f"the query is {base} characters before any {name}")
    chunk: list[int] = []
    length = base
    for value in ids:
        item = len(f"&{name}={value}")
        if chunk and length + item > max_chars:
            yield {**params, name: chunk}
            chunk, length = [], base
        chunk.append(value)
        length += item
    if chunk:
        yield {**params, name: chunk}


@dataclass(frozen=True)
class IncrementalWindow:
    """What to ask for and what to store after it: read from ``since - overlap`` (inclusive, so
    the overlap's records come again and are de-duplicated), then store ``watermark`` — the
    request clock when the walk began, because rentals, units, tenants and owners carry no
    timestamp of their own."""

    lastupdatedfrom: datetime | None
    watermark: datetime

    def params(self) -> dict[str, str]:
        if self.lastupdatedfrom is None:
            return {}
        return {"lastupdatedfrom": buildium_time(self.lastupdatedfrom)}


def incremental_window(
    since: datetime | None, *, overlap_seconds: float, now: datetime
) -> IncrementalWindow:
    start = None if since is None else since - timedelta(seconds=overlap_seconds)
    return IncrementalWindow(start, now.replace(microsecond=0))
