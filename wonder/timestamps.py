"""The one timestamp parser and formatter: RFC 3339 / ``Edm.DateTimeOffset`` text <-> aware UTC.

Used for what sources send (Trestle, later Buildium and Gmail headers' ISO forms), what callers
write in filters and what page tokens carry, so all of them accept and refuse the same texts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

# Date, 'T' (or 't' or a space, as RFC 3339 allows), hh:mm, optional :ss and fraction, a zone.
_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:\d{2})?"
)


def parse_timestamp(text: str, *, assume_utc: bool = False) -> datetime:
    """``text`` as an aware UTC datetime; fractions beyond microseconds are truncated.

    A timestamp without a zone is refused (its instant is unknown) unless ``assume_utc``, for
    sources documented to send UTC. Raises ValueError for anything else, including instants
    outside Python's range once converted to UTC (``0001-01-01T00:00:00+00:01``).
    """
    if len(text) <= _CACHED_LENGTH:
        return _parse_cached(text, assume_utc)
    return _parse(text, assume_utc)


# Sources repeat timestamps (a listing's photos are usually stamped together: a Trestle page of
# 1,000 listings and 12,000 photos carries ≈ 1,800 distinct ones), and a parse costs ≈ 2 µs
# against ≈ 0.1 µs for a cache hit. Only texts as long as a timestamp can be are kept (the
# longest RFC 3339 text with nanoseconds and an offset is 35 characters), so the cache stays
# small whatever callers send; refusals raise and are never cached.
_CACHED_LENGTH = 40


@lru_cache(maxsize=4096)
def _parse_cached(text: str, assume_utc: bool) -> datetime:
    return _parse(text, assume_utc)


def _parse(text: str, assume_utc: bool) -> datetime:
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text[:80]!r} is not an RFC 3339 timestamp")
    day, minutes, seconds, fraction, zone = match.groups()
    if zone is None:
        if not assume_utc:
            raise ValueError(f"{text[:80]!r} has no UTC offset")
        zone = "+00:00"
    micros = (fraction or "").ljust(6, "0")[:6]
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        parsed = datetime.fromisoformat(f"{day}T{minutes}:{seconds or '00'}.{micros}{offset}")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"{text[:80]!r} is not a valid instant: {error}") from None


def parse_timestamp_or_none(text: str) -> datetime | None:
    """:func:`parse_timestamp`, None instead of ValueError (for input checked field by field)."""
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def format_timestamp(value: datetime) -> str:
    """UTC with milliseconds and ``Z``: ``2026-01-31T12:00:00.123Z`` (naive is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
