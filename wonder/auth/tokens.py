"""Bearer tokens: generation, hashing and shape checks (pure, no I/O).

A token is ``ws_`` followed by 43 URL-safe characters (32 random bytes). Only its SHA-256 hex digest
and a short display prefix are ever stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_PREFIX = "ws_"  # noqa: S105 (a public marker, not a secret)
_RANDOM_BYTES = 32
# token_urlsafe(32) yields 43 characters of the URL-safe base64 alphabet.
_TOKEN_RE = re.compile(r"^ws_[A-Za-z0-9_-]{43}$")
DISPLAY_PREFIX_LENGTH = 10


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def is_well_formed(token: str) -> bool:
    return _TOKEN_RE.fullmatch(token) is not None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters, enough to recognise a token in a listing, never enough to use it."""
    return token[:DISPLAY_PREFIX_LENGTH]
