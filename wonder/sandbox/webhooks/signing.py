"""Signers: a delivery's (body bytes, Unix timestamp) → the headers that authenticate it.

A signer is any callable of that shape, so each emulator brings its own scheme:

- Buildium (API-FACTS): ``buildium-webhook-signature`` = base64(HMAC-SHA256(secret,
  ``"{timestamp}.{compact JSON body}"``)) and ``buildium-webhook-timestamp`` = the timestamp;
- Airtable (API-FACTS): ``X-Airtable-Content-MAC: hmac-sha256=<hex HMAC-SHA256(
  base64decode(macSecretBase64), body)>`` (the ping carries its own timestamp in the body);
- Gmail push (later): ``Authorization: Bearer <RS256 JWT>`` from the sandbox's key.

The Buildium computation lives in ``wonder.webhooks.signatures`` (one home: the receiver
verifies with it). The body is signed exactly as sent: the outbox serializes a payload once
(compact JSON) and posts those bytes on every attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping

from wonder.webhooks.signatures import (
    BUILDIUM_SIGNATURE_HEADER,
    BUILDIUM_TIMESTAMP_HEADER,
    buildium_signature,
)

__all__ = [
    "AIRTABLE_MAC_HEADER",
    "BUILDIUM_SIGNATURE_HEADER",
    "BUILDIUM_TIMESTAMP_HEADER",
    "Signer",
    "airtable_mac",
    "airtable_signer",
    "buildium_signature",
    "buildium_signer",
]

Signer = Callable[[bytes, int], Mapping[str, str]]

AIRTABLE_MAC_HEADER = "X-Airtable-Content-MAC"


def buildium_signer(secret: str) -> Signer:
    def sign(body: bytes, timestamp: int) -> dict[str, str]:
        return {
            BUILDIUM_SIGNATURE_HEADER: buildium_signature(secret, body, timestamp),
            BUILDIUM_TIMESTAMP_HEADER: str(timestamp),
        }

    return sign


def airtable_mac(mac_secret_base64: str, body: bytes) -> str:
    key = base64.b64decode(mac_secret_base64)
    return "hmac-sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def airtable_signer(mac_secret_base64: str) -> Signer:
    base64.b64decode(mac_secret_base64, validate=True)  # a bad secret fails here, not per ping

    def sign(body: bytes, timestamp: int) -> dict[str, str]:
        return {AIRTABLE_MAC_HEADER: airtable_mac(mac_secret_base64, body)}

    return sign
