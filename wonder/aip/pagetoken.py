"""Opaque, signed page tokens (AIP-158).

A token carries the keyset position reached by the previous page, a fingerprint of the query
that produced it and the time it expires, signed with HMAC-SHA256. Decoding checks the signature
first, then the expiry, then that the token belongs to the query being asked now, so a consumer
can neither forge a position, nor keep a token alive, nor reuse one with a different filter or
order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from wonder.errors import InvalidArgument

# What a position may hold: the JSON form of each sort key of the last row of a page.
JsonScalar = str | int | float | bool | None

# 2: the payload carries "e", the expiry (Unix seconds); tokens of version 1 never expired.
_VERSION = 2
_TAG_BYTES = 16
DEFAULT_TTL_SECONDS = 3600


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PageTokenError(InvalidArgument):
    """The token is malformed, was altered, or belongs to another query."""

    def __init__(self, description: str) -> None:
        super().__init__("page_token", description)


def query_fingerprint(**parts: object) -> str:
    """A stable digest of the request fields a token is bound to (not page_size)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class PageTokenCodec:
    """Encodes and verifies page tokens with one secret (``settings.grpc.page_token_secret``)."""

    def __init__(
        self,
        secret: bytes,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not secret:
            raise ValueError("the page token secret must not be empty")
        if ttl_seconds <= 0:
            raise ValueError("the page token lifetime must be positive")
        self._secret = secret
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    def __repr__(self) -> str:
        return "PageTokenCodec(secret=***)"

    def encode(self, fingerprint: str, position: Sequence[JsonScalar]) -> str:
        expires = math.floor(self._clock().timestamp()) + self._ttl_seconds
        payload = json.dumps(
            {"v": _VERSION, "q": fingerprint, "e": expires, "p": list(position)},
            separators=(",", ":"),
            allow_nan=False,
        ).encode("utf-8")
        token = payload + self._tag(payload)
        return base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")

    def decode(self, token: str, fingerprint: str) -> list[JsonScalar]:
        """The position stored in ``token``; raises PageTokenError unless it is intact and ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise PageTokenError("the page token is malformed") from exc
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if len(raw) <= _TAG_BYTES or not hmac.compare_digest(tag, self._tag(payload)):
            raise PageTokenError("the page token is invalid or was altered")
        try:
            document = json.loads(payload)
        except ValueError as exc:  # pragma: no cover - only reachable with a valid signature
            raise PageTokenError("the page token is malformed") from exc
        if not isinstance(document, dict) or document.get("v") != _VERSION:
            raise PageTokenError("the page token has an unsupported version")
        expires = document.get("e")
        if not isinstance(expires, int) or isinstance(expires, bool):
            raise PageTokenError("the page token is malformed")
        if self._clock().timestamp() >= expires:
            raise PageTokenError(
                "the page token expired (tokens last "
                f"{self._ttl_seconds:,} s); list again from the first page"
            )
        if document.get("q") != fingerprint:
            raise PageTokenError(
                "the page token was issued for a different request "
                "(filter, order_by and the other list parameters must not change between pages)"
            )
        position = document.get("p")
        if not isinstance(position, list):
            raise PageTokenError("the page token is malformed")
        return position

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_TAG_BYTES]
