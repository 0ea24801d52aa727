"""Signed page tokens: round trip, tamper evidence, binding to the query."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from wonder.aip.fields import FieldSpec, FieldType
from wonder.aip.pagetoken import PageTokenCodec, PageTokenError, query_fingerprint
from wonder.aip.paging import Pager

CODEC = PageTokenCodec(b"unit-test-secret")
QUERY = query_fingerprint(method="ListListings", filter="city = 'Austin'", order_by="listing_key")


def test_round_trip() -> None:
    token = CODEC.encode(QUERY, ["1234.50", None, 3, 1.5, "K9"])
    assert CODEC.decode(token, QUERY) == ["1234.50", None, 3, 1.5, "K9"]
    assert "=" not in token
    assert "+" not in token
    assert "/" not in token


def test_fingerprint_depends_on_every_part_and_not_on_argument_order() -> None:
    assert query_fingerprint(a="1", b="2") == query_fingerprint(b="2", a="1")
    assert query_fingerprint(a="1", b="2") != query_fingerprint(a="1", b="3")


def test_token_for_another_query_is_rejected() -> None:
    token = CODEC.encode(QUERY, ["K9"])
    other = query_fingerprint(
        method="ListListings", filter="city = 'Dallas'", order_by="listing_key"
    )
    with pytest.raises(PageTokenError, match="different request"):
        CODEC.decode(token, other)


def test_token_signed_with_another_secret_is_rejected() -> None:
    token = PageTokenCodec(b"another-secret").encode(QUERY, ["K9"])
    with pytest.raises(PageTokenError, match="invalid or was altered"):
        CODEC.decode(token, QUERY)


def test_every_altered_byte_is_detected() -> None:
    token = CODEC.encode(QUERY, ["K9"])
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for index in range(len(raw)):
        altered = bytearray(raw)
        altered[index] ^= 0x01
        forged = base64.urlsafe_b64encode(bytes(altered)).decode().rstrip("=")
        with pytest.raises(PageTokenError):
            CODEC.decode(forged, QUERY)


@pytest.mark.parametrize("token", ["!!!", "a", "YWJj", "x" * 10])
def test_garbage_is_rejected(token: str) -> None:
    with pytest.raises(PageTokenError):
        CODEC.decode(token, QUERY)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 12, 0, 0, 400_000, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_token_is_good_for_its_lifetime_and_expired_after() -> None:
    clock = Clock()
    codec = PageTokenCodec(b"unit-test-secret", ttl_seconds=60, clock=clock)
    token = codec.encode(QUERY, ["K9"])
    clock.now += timedelta(seconds=59)
    assert codec.decode(token, QUERY) == ["K9"]
    clock.now += timedelta(seconds=1)
    with pytest.raises(
        PageTokenError, match=r"^page_token: the page token expired \(tokens last 60 s\)"
    ):
        codec.decode(token, QUERY)


def test_the_expiry_is_signed() -> None:
    """Pushing "e" forward (to keep a token alive) breaks the signature."""
    clock = Clock()
    codec = PageTokenCodec(b"unit-test-secret", ttl_seconds=60, clock=clock)
    raw = base64.urlsafe_b64decode(codec.encode(QUERY, ["K9"]) + "===")
    payload, tag = raw[:-16], raw[-16:]
    expiry = str(int(clock.now.timestamp()) + 60).encode()
    later = payload.replace(expiry, str(int(expiry) + 10**6).encode())
    assert later != payload
    forged = base64.urlsafe_b64encode(later + tag).decode().rstrip("=")
    clock.now += timedelta(hours=1)
    with pytest.raises(PageTokenError, match="invalid or was altered"):
        codec.decode(forged, QUERY)


def test_secret_never_shows() -> None:
    assert "unit-test-secret" not in repr(CODEC)
    with pytest.raises(ValueError, match="must not be empty"):
        PageTokenCodec(b"")


def test_a_token_of_one_service_is_refused_by_another_with_the_same_secret() -> None:
    keys = (FieldSpec("key", "key", FieldType.STRING, nullable=False),)
    listings = Pager(CODEC, service="wonder.v1.ListingService", default_size=1, max_size=10)
    messages = Pager(CODEC, service="wonder.v1.MessageService", default_size=1, max_size=10)
    cursor = listings.start("ListThings", 1, "", keys)
    _, token = cursor.finish([{"key": "A"}, {"key": "B"}], lambda row: [row["key"]])
    assert listings.start("ListThings", 1, token, keys).after == ["A"]
    with pytest.raises(PageTokenError, match="different request"):
        messages.start("ListThings", 1, token, keys)
