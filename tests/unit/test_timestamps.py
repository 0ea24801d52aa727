"""wonder.timestamps: the one parser every source, filter and page token goes through."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from wonder.timestamps import format_timestamp, parse_timestamp, parse_timestamp_or_none

T = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)


def test_format_timestamp_is_utc_with_milliseconds():
    assert format_timestamp(T) == "2026-01-31T12:00:00.123Z"
    eastern = T.astimezone(timezone(timedelta(hours=-5)))
    assert format_timestamp(eastern) == "2026-01-31T12:00:00.123Z"
    assert format_timestamp(datetime(2026, 1, 31, 12, 0)) == "2026-01-31T12:00:00.000Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T12:00:00.123Z", datetime(2026, 1, 31, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2026-01-31T07:00:00-05:00", datetime(2026, 1, 31, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_timestamp_round_trip():
    ms = T.replace(microsecond=123000)
    assert parse_timestamp(format_timestamp(ms)) == ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00:00.5Z", datetime(2026, 1, 31, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-31T12:00:00.1234567Z", datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-31T07:00:00-05:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-02-01T01:30:00+13:30", datetime(2026, 1, 31, 12, tzinfo=UTC)),
    ],
)
def test_timestamps_with_offsets_become_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo == UTC


def test_a_timestamp_without_offset_is_refused_unless_the_source_is_documented_utc() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2026-01-31T12:00:00")
    assert parse_timestamp("2026-01-31T12:00:00", assume_utc=True) == datetime(
        2026, 1, 31, 12, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-01-31",
        "2026-13-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01",
        "yesterday",
        "2026-01-31T12Z",
    ],
)
def test_what_is_not_an_instant_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"timestamp|instant"):
        parse_timestamp(text)
    assert parse_timestamp_or_none(text) is None


@pytest.fixture
def local_time_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone six hours behind UTC (a server not configured for UTC)."""
    monkeypatch.setenv("TZ", "XST+06")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.usefixtures("local_time_not_utc")
def test_parsing_gives_utc_whatever_the_local_zone() -> None:
    assert time.timezone == 6 * 3600  # the fixture took effect
    parsed = parse_timestamp("2026-01-31T07:00:00-05:00")
    assert parsed.tzinfo is UTC
    assert (parsed.hour, parsed.utcoffset()) == (12, timedelta(0))


@pytest.mark.usefixtures("local_time_not_utc")
def test_formatting_is_utc_whatever_the_local_zone() -> None:
    assert format_timestamp(T) == "2026-01-31T12:00:00.123Z"
    # A naive datetime is UTC, not local time.
    assert format_timestamp(datetime(2026, 1, 31, 12, 0)) == "2026-01-31T12:00:00.000Z"


def refusal(text: str) -> str:
    try:
        parse_timestamp(text)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"{text!r} was accepted")


def test_errors_echo_at_most_80_characters_of_the_input() -> None:
    assert refusal("x" * 200) == f"{'x' * 80!r} is not an RFC 3339 timestamp"
    naive = "2026-01-31T12:00:00" + " " * 100
    assert refusal(naive) == f"{naive[:80]!r} has no UTC offset"
    bad = "2026-02-30T12:00:00Z" + " " * 100
    assert refusal(bad).startswith(f"{bad[:80]!r} is not a valid instant: ")


def test_a_repeated_timestamp_parses_to_the_same_instant_every_time() -> None:
    # Parses are cached by text: a cached answer must be the answer (zone and offset included).
    for _ in range(3):
        assert parse_timestamp("2026-01-31T12:00:00.5+02:00") == datetime(
            2026, 1, 31, 10, 0, 0, 500000, tzinfo=UTC
        )
        assert parse_timestamp("2026-01-31T12:00:00", assume_utc=True) == datetime(
            2026, 1, 31, 12, tzinfo=UTC
        )
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2026-01-31T12:00:00")  # the assume_utc answer above is not reused


def test_only_texts_as_short_as_a_timestamp_are_kept() -> None:
    # A caller's padding (a valid timestamp behind megabytes of spaces) must not fill memory.
    from wonder import timestamps

    timestamps._parse_cached.cache_clear()
    padded = " " * 100_000 + "2026-01-31T12:00:00Z"
    assert parse_timestamp(padded) == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert timestamps._parse_cached.cache_info().currsize == 0
    parse_timestamp("2026-01-31T12:00:00Z")
    assert timestamps._parse_cached.cache_info().currsize == 1
