"""Buildium's webhook signature: the one computation the sandbox signs with and the receiver
verifies with (API-FACTS: base64(HMAC-SHA256(secret, ``"{timestamp}.{body}"``)))."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

BUILDIUM_SIGNATURE_HEADER = "buildium-webhook-signature"
BUILDIUM_TIMESTAMP_HEADER = "buildium-webhook-timestamp"


def buildium_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` (the exact bytes sent) sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(secrets: Iterable[str], body: bytes, timestamp: int, signature: str) -> bool:
    """Whether ``signature`` is ``body``'s under any of ``secrets`` (constant-time compares; every
    secret is tried so the time does not tell which one matched)."""
    given = signature.encode("ascii", "replace")
    matched = False
    for secret in secrets:
        expected = buildium_signature(secret, body, timestamp).encode("ascii")
        matched |= hmac.compare_digest(expected, given)
    return matched
