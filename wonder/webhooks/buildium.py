"""``POST /webhooks/buildium``: HMAC over ``"{timestamp}.{raw body}"``, a ±skew window, one thin
JSON event per POST (API-FACTS). Two secrets may be configured during a rotation."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from wonder.webhooks.ports import Rejected, VerifiedEvent
from wonder.webhooks.signatures import (
    BUILDIUM_SIGNATURE_HEADER,
    BUILDIUM_TIMESTAMP_HEADER,
    signature_matches,
)

SOURCE = "buildium"
_MAX_KEY = 255


class BuildiumSource:
    name = SOURCE

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        allowed_skew_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secrets = tuple(secret for secret in secrets if secret)
        self._skew = allowed_skew_seconds
        self._clock = clock

    async def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedEvent:
        signature = headers.get(BUILDIUM_SIGNATURE_HEADER)
        stamp = headers.get(BUILDIUM_TIMESTAMP_HEADER)
        if not signature or not stamp:
            raise Rejected(401, "missing signature or timestamp")
        if not self._secrets:
            raise Rejected(401, "no secret configured")
        try:
            timestamp = int(stamp)
        except ValueError:
            raise Rejected(400, "timestamp is not Unix seconds") from None
        if abs(self._clock() - timestamp) > self._skew:
            raise Rejected(401, "timestamp outside the allowed window")
        if not signature_matches(self._secrets, body, timestamp, signature):
            raise Rejected(401, "signature does not match")
        return parse_event(body)


def parse_event(body: bytes) -> VerifiedEvent:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Rejected(400, "body is not JSON") from None
    if not isinstance(event, dict):
        raise Rejected(400, "body is not a JSON object")
    name, when = event.get("EventName"), event.get("EventDateTime")
    if not isinstance(name, str) or not name or not isinstance(when, str) or not when:
        raise Rejected(400, "EventName and EventDateTime are required")
    ids = _ids(event)
    return VerifiedEvent(
        source=SOURCE,
        dedupe_key=dedupe_key(name, ids, when),
        entity_key=entity_key(name, ids),
        payload=event,
    )


def _ids(event: Mapping[str, Any]) -> dict[str, int | str]:
    ids: dict[str, int | str] = {}
    for key, value in event.items():
        if key.endswith("Id") and isinstance(value, int | str) and not isinstance(value, bool):
            ids[key] = value
    return ids


def dedupe_key(name: str, ids: Mapping[str, int | str], when: str) -> str:
    """Event name + every id it carries + event time: a redelivery (or a duplicate Buildium
    sends) has the same key; Buildium gives no event id."""
    key = f"{SOURCE}:{name}:" + ",".join(f"{k}={ids[k]}" for k in sorted(ids)) + f"@{when}"
    if len(key) <= _MAX_KEY:
        return key
    return f"{SOURCE}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def entity_key(name: str, ids: Mapping[str, int | str]) -> str:
    """``lease.7`` for ``Lease.Updated`` with ``LeaseId`` 7; ``leasetransaction.55`` for a
    ``LeaseTransaction.*`` (its handler resolves the lease); the event name when no id fits."""
    entity = name.split(".", 1)[0]
    for field in (f"{entity}Id", "TransactionId", "Id"):
        if field in ids:
            return f"{entity.lower()}.{ids[field]}"
    others = sorted(k for k in ids if k != "AccountId")
    if others:
        return f"{entity.lower()}.{ids[others[0]]}"
    return entity.lower()
