"""Pure parts of wonder.auth: token shape and hashing, scopes, the verification cache."""

from __future__ import annotations

import hashlib

import pytest

from wonder.auth.cache import VerificationCache
from wonder.auth.principal import Principal
from wonder.auth.scopes import KNOWN_SCOPES, UnknownScopeError, format_scopes, parse_scopes
from wonder.auth.store import TOUCH_INTERVAL, should_touch
from wonder.auth.tokens import display_prefix, generate_token, hash_token, is_well_formed


def test_generated_tokens_are_prefixed_well_formed_and_distinct() -> None:
    tokens = {generate_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert token.startswith("ws_")
        assert is_well_formed(token)


@pytest.mark.parametrize(
    "token",
    ["", "ws_", "ws_short", "xx_" + "a" * 43, "ws_" + "a" * 44, "ws_" + "a" * 42 + "!"],
)
def test_malformed_tokens_are_rejected_by_shape(token: str) -> None:
    assert not is_well_formed(token)


def test_hash_is_sha256_hex_and_prefix_reveals_little() -> None:
    token = generate_token()
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(hash_token(token)) == 64
    assert display_prefix(token) == token[:10]


def test_scopes_parse_from_commas_or_spaces() -> None:
    assert parse_scopes("listings:read,sync:read") == {"listings:read", "sync:read"}
    assert parse_scopes(" listings:read  sync:read, ") == {"listings:read", "sync:read"}
    assert format_scopes({"sync:read", "listings:read"}) == "listings:read sync:read"
    assert parse_scopes(KNOWN_SCOPES) == KNOWN_SCOPES


def test_unknown_scope_is_a_clear_error() -> None:
    with pytest.raises(UnknownScopeError) as caught:
        parse_scopes("listings:read,listings:write,admin")
    assert caught.value.unknown == ["admin", "listings:write"]
    assert "known:" in str(caught.value)
    with pytest.raises(ValueError, match="at least one scope"):
        parse_scopes(" , ")


def test_cache_expires_after_ttl() -> None:
    now = [100.0]
    cache = VerificationCache(ttl_seconds=30, clock=lambda: now[0])
    principal = Principal("reporting", frozenset({"listings:read"}))
    cache.put("h1", principal)
    now[0] = 129.9
    assert cache.get("h1") == principal
    now[0] = 130.0
    assert cache.get("h1") is None
    assert len(cache) == 0


def test_cache_is_bounded_and_evicts_least_recently_used() -> None:
    cache = VerificationCache(max_entries=2, clock=lambda: 0.0)
    a, b, c = (Principal(n, frozenset()) for n in "abc")
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") == a  # a is now the most recently used
    cache.put("c", c)
    assert cache.get("b") is None
    assert cache.get("a") == a
    assert cache.get("c") == c


def test_last_used_is_touched_at_most_once_a_minute() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert should_touch(None, now)
    assert not should_touch(now - TOUCH_INTERVAL / 2, now)
    assert should_touch(now - TOUCH_INTERVAL, now)
