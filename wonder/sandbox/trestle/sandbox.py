"""The Trestle emulator's behaviour, independent of the web framework: tokens, quota, faults,
OData collection requests, replication cursors, control operations and statistics.

``app.py`` maps HTTP requests onto these methods; each returns a ``Reply``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

import orjson
from pydantic import BaseModel, Field, SecretStr

from wonder.sandbox.clock import MICROS, SandboxClock
from wonder.sandbox.faults import FaultDecision, FaultInjector, FaultKind, FaultSettings
from wonder.sandbox.profiles import trestle_limits
from wonder.sandbox.trestle.data import build_media, build_open_houses, listing_index
from wonder.sandbox.trestle.odata import ODataError, Query, parse_query
from wonder.sandbox.trestle.query import (
    PropertyRow,
    Row,
    execute,
    media_rows,
    open_house_rows,
    property_candidates,
    roster_rows,
    serializer,
)
from wonder.sandbox.trestle.quota import QuotaTracker
from wonder.sandbox.trestle.schema import EntityType, Schema, load_schema
from wonder.sandbox.trestle.state import AdvanceResult, ListingStore

ODATA_JSON = "application/json; odata.metadata=minimal"
PLAIN_JSON = "application/json"
XML = "application/xml"
ODATA_PREFIX = "/trestle/odata"
ERROR_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
ERROR_MESSAGES = {
    500: "An unexpected error occurred while processing the request.",
    503: "The service is temporarily unavailable. Please retry.",
    504: "The query took too long to execute and was cancelled.",
}


class TrestleSandboxConfig(BaseModel):
    """How a sandbox instance is seeded, limited and broken."""

    seed: int = 42
    listings: int = Field(default=500, ge=0)
    profile: Literal["realistic", "fast"] = "realistic"
    client_id: str = "sandbox-client"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    token_ttl_seconds: int = Field(default=28_800, ge=1)
    # Override the profile's quota (e.g. 5 per minute to test 429).
    minute_quota: int | None = Field(default=None, ge=0)
    hour_quota: int | None = Field(default=None, ge=0)
    replication_idle_seconds: float = 300.0
    # The sandbox clock starts here (default: now); frozen clocks move only with advance().
    start_time: datetime | None = None
    frozen_clock: bool = False
    faults: FaultSettings = FaultSettings()


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = ODATA_JSON
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    truncate: bool = False
    latency_seconds: float = 0.0


@dataclass
class _Cursor:
    params: tuple[tuple[str, str], ...]
    client_id: str
    last_used: int


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"code": ERROR_CODES.get(status, str(status)), "message": message}}
    return Reply(status, orjson.dumps(body), headers=dict(headers or {}))


class TrestleSandbox:
    """One emulated Trestle service. ``app`` is its ASGI application."""

    def __init__(self, config: TrestleSandboxConfig | None = None) -> None:
        self.config = config or TrestleSandboxConfig()
        self.schema: Schema = load_schema()
        self._lock = threading.Lock()
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self._build_state()
        from wonder.sandbox.trestle.app import create_app

        self.app = create_app(self)

    def _build_state(self) -> None:
        config = self.config
        self.clock = SandboxClock(config.start_time, frozen=config.frozen_clock)
        self.store = ListingStore(config.seed, config.listings, self.clock)
        limits = trestle_limits(config.profile)
        self.quota = QuotaTracker(
            config.minute_quota if config.minute_quota is not None else limits.minute_quota,
            config.hour_quota if config.hour_quota is not None else limits.hour_quota,
            self.clock,
        )
        self._tokens: dict[str, tuple[str, int]] = {}
        self._cursors: dict[str, _Cursor] = {}
        self._stats: dict[str, int] = {}
        self.faults.configure(config.faults)
        self.faults.injected.clear()

    # ------------------------------------------------------------ control (Python API)

    def advance(
        self,
        seconds: float = 0.0,
        price_changes: int = 0,
        status_changes: int = 0,
        media_changes: int = 0,
        new_listings: int = 0,
        removed_listings: int = 0,
        bad_records: int = 0,
        same_timestamp: bool = False,
    ) -> AdvanceResult:
        return self.store.advance(
            seconds=seconds,
            price_changes=price_changes,
            status_changes=status_changes,
            media_changes=media_changes,
            new_listings=new_listings,
            removed_listings=removed_listings,
            bad_records=bad_records,
            same_timestamp=same_timestamp,
        )

    def set_faults(self, settings: FaultSettings | None = None, **values: Any) -> FaultSettings:
        """Replace the fault settings (fields not given are off)."""
        chosen = settings or FaultSettings(**values)
        self.faults.configure(chosen)
        return chosen

    def reset(self) -> None:
        """Back to the seeded initial data, fresh tokens, quota and statistics."""
        with self.store.lock, self._lock:
            self._build_state()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            requests = dict(sorted(self._stats.items()))
        return {
            "requests": requests,
            "quota": self.quota.snapshot(),
            "faults_injected": dict(self.faults.injected),
            "listings": {"live": self.store.live, "generated": self.store.size},
            "now": self.clock.now().isoformat(),
        }

    def truth(self) -> dict[str, dict[str, Any]]:
        """Every live listing's current serialized record, by ListingKey (for test oracles)."""
        entity = self.schema.entities["Property"]
        serialize = serializer(entity)
        with self.store.lock:
            out: dict[str, dict[str, Any]] = {}
            for index in self.store.indexes_by_key():
                row = PropertyRow(self.store, index)
                out[str(row.get("ListingKey"))] = serialize(row, None)
            return out

    def count_request(self, method: str, route: str, status: int) -> None:
        key = f"{method} {route} {status}"
        with self._lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    # ------------------------------------------------------------ token endpoint

    def issue_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> Reply:
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if basic is not None:
            client_id, client_secret = basic
        if form.get("grant_type") != "client_credentials":
            return Reply(400, orjson.dumps({"error": "unsupported_grant_type"}), PLAIN_JSON)
        expected = self.config.client_secret.get_secret_value()
        valid_id = secrets.compare_digest(client_id.encode(), self.config.client_id.encode())
        valid_secret = secrets.compare_digest(client_secret.encode(), expected.encode())
        if not (valid_id and valid_secret):
            return Reply(400, orjson.dumps({"error": "invalid_client"}), PLAIN_JSON)
        scope = form.get("scope", "api")
        if scope not in ("api", ""):
            return Reply(400, orjson.dumps({"error": "invalid_scope"}), PLAIN_JSON)
        token = secrets.token_urlsafe(32)
        ttl = self.config.token_ttl_seconds
        with self._lock:
            now = self.clock.now_micros()
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (client_id, now + ttl * MICROS)
        body = {"access_token": token, "expires_in": ttl, "token_type": "Bearer"}
        return Reply(200, orjson.dumps(body), PLAIN_JSON, {"Cache-Control": "no-store"})

    def _client_for(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        token = authorization[len("Bearer ") :].strip()
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry[1] <= self.clock.now_micros():
            return None
        return entry[0]

    # ------------------------------------------------------------ OData

    def service_document(self, base_url: str) -> Reply:
        value = [{"name": name, "kind": "EntitySet", "url": name} for name in self.schema.entities]
        body = {"@odata.context": f"{base_url}{ODATA_PREFIX}/$metadata", "value": value}
        return Reply(200, orjson.dumps(body))

    def decide_fault(self) -> FaultDecision:
        return self.faults.decide()

    def odata(
        self,
        resource: str,
        params: Sequence[tuple[str, str]],
        authorization: str | None,
        base_url: str,
        fault: FaultDecision,
    ) -> Reply:
        """A request under /trestle/odata/ (not the service document) after the drop fault."""
        client_id = self._client_for(authorization)
        if client_id is None:
            reply = error_reply(401, "Authorization has been denied for this request.")
            reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return reply
        if fault.kind is FaultKind.TOO_MANY:
            headers = self.quota.peek(client_id)
            headers["Minute-Quota-Available"] = "0"
            return error_reply(429, "Quota exceeded. Please slow down.", headers)
        decision = self.quota.consume(client_id)
        if not decision.allowed:
            return error_reply(429, "Quota exceeded. Please slow down.", decision.headers)
        if fault.kind is FaultKind.ERROR:
            return error_reply(
                fault.error_status, ERROR_MESSAGES[fault.error_status], decision.headers
            )
        try:
            reply = self._dispatch(resource, params, base_url, client_id)
        except ODataError as exc:
            reply = error_reply(exc.status, exc.message)
        reply.headers.update(decision.headers)
        reply.truncate = fault.truncate and reply.status == 200
        return reply

    def _dispatch(
        self, resource: str, params: Sequence[tuple[str, str]], base_url: str, client_id: str
    ) -> Reply:
        if resource == "$metadata":
            return Reply(200, self.schema.xml, XML)
        name, key = _split_key(resource)
        entity = self.schema.entity(name)
        if entity is None:
            raise ODataError(f"Resource not found for the segment '{name}'.", 404)
        if key is not None:
            return self._single(entity, key, base_url)
        params = [(k, v) for k, v in params]
        token = next((v for k, v in params if k == "$skiptoken"), None)
        with self.store.lock:
            if token is not None:
                return self._follow_replication(entity, token, base_url, client_id)
            query = parse_query(entity, self.schema.entities, params)
            if query.replication:
                if entity.name != "Property":
                    raise ODataError("replication=true is available on Property only")
                cursor_id = secrets.token_urlsafe(12)
                self._cursors[cursor_id] = _Cursor(
                    tuple(params), client_id, self.clock.now_micros()
                )
                return self._replication_page(entity, query, cursor_id, -1, base_url)
            return self._standard_page(entity, query, params, base_url)

    def _single(self, entity: EntityType, key: str, base_url: str) -> Reply:
        if entity.name != "Property":
            raise ODataError("Key lookups are available on Property only", 400)
        with self.store.lock:
            index = listing_index(key)
            if index is None or not self.store.exists(index):
                raise ODataError(f"No Property with key '{key}'.", 404)
            row = PropertyRow(self.store, index)
            body = serializer(entity)(row, None)
        body = {"@odata.context": f"{base_url}{ODATA_PREFIX}/$metadata#Property/$entity", **body}
        return Reply(200, orjson.dumps(body))

    def _rows(self, entity: EntityType, query: Query, after: int = -1) -> tuple[Any, bool]:
        store = self.store
        if entity.name == "Property":
            return property_candidates(store, query, after)
        if entity.name == "Media":
            return media_rows(store, query)
        if entity.name == "OpenHouse":
            return open_house_rows(store, query)
        if entity.name == "Member":
            return roster_rows(store.roster.members, entity.key, query)
        return roster_rows(store.roster.offices, entity.key, query)

    def _body(
        self, entity: EntityType, query: Query, page: list[Row], base_url: str
    ) -> dict[str, Any]:
        serialize = serializer(entity)
        context = f"{base_url}{ODATA_PREFIX}/$metadata#{entity.name}"
        if query.select is not None:
            context += f"({','.join(query.select)})"
        values = [serialize(row, query.select) for row in page]
        for expand in query.expand:
            target = self.schema.entities[entity.navigation[expand.name]]
            child = serializer(target)
            for row, value in zip(page, values, strict=True):
                assert isinstance(row, PropertyRow)
                state = self.store.state(row.index)
                if expand.name == "Media":
                    records = build_media(self.store.seed, state)
                    if records and self.faults.empty_expand():
                        records = []
                else:
                    records = build_open_houses(self.store.seed, state)
                value[expand.name] = [
                    child(_StaticRow(record), expand.select) for record in records
                ]
        return {"@odata.context": context, "value": values}

    def _standard_page(
        self, entity: EntityType, query: Query, params: list[tuple[str, str]], base_url: str
    ) -> Reply:
        rows, natural = self._rows(entity, query)
        page, total = execute(rows, natural, query)
        body = self._body(entity, query, page, base_url)
        if total is not None:
            body = {"@odata.context": body["@odata.context"], "@odata.count": total, **body}
        if query.top and len(page) == query.top:
            following = [(k, v) for k, v in params if k != "$skip"]
            following.append(("$skip", str(query.skip + query.top)))
            body["@odata.nextLink"] = _link(base_url, entity.name, following)
        return Reply(200, orjson.dumps(body))

    def _replication_page(
        self, entity: EntityType, query: Query, cursor_id: str, after: int, base_url: str
    ) -> Reply:
        rows, natural = self._rows(entity, query, after)
        page, total = execute(rows, natural, query)
        body = self._body(entity, query, page, base_url)
        if total is not None:
            body = {"@odata.context": body["@odata.context"], "@odata.count": total, **body}
        if query.top and len(page) == query.top:
            last = page[-1]
            assert isinstance(last, PropertyRow)
            token = _encode_token(cursor_id, last.index)
            body["@odata.nextLink"] = _link(
                base_url, entity.name, [("replication", "true"), ("$skiptoken", token)]
            )
        return Reply(200, orjson.dumps(body))

    def _follow_replication(
        self, entity: EntityType, token: str, base_url: str, client_id: str
    ) -> Reply:
        decoded = _decode_token(token)
        cursor = self._cursors.get(decoded[0]) if decoded else None
        if decoded is None or cursor is None or cursor.client_id != client_id:
            raise ODataError("The replication link is invalid or has expired.")
        now = self.clock.now_micros()
        if now - cursor.last_used > self.config.replication_idle_seconds * MICROS:
            del self._cursors[decoded[0]]
            raise ODataError(
                "The replication link has expired (idle for more than "
                f"{int(self.config.replication_idle_seconds)} seconds). Start a new query."
            )
        cursor.last_used = now
        query = parse_query(entity, self.schema.entities, cursor.params)
        return self._replication_page(entity, query, decoded[0], decoded[1], base_url)


class _StaticRow:
    __slots__ = ("_record",)

    def __init__(self, record: dict[str, Any]) -> None:
        self._record = record

    def get(self, name: str) -> object:
        return self._record.get(name)

    def record(self) -> dict[str, Any]:
        return self._record


def _split_key(resource: str) -> tuple[str, str | None]:
    if resource.endswith(")") and "(" in resource:
        name, _, rest = resource.partition("(")
        inner = rest[:-1]
        if len(inner) >= 2 and inner[0] == inner[-1] == "'":
            return name, inner[1:-1].replace("''", "'")
        raise ODataError(f"Invalid key predicate in '{resource}'")
    return resource, None


def _link(base_url: str, resource: str, params: list[tuple[str, str]]) -> str:
    query = urlencode(params, quote_via=quote, safe="$,'()")
    return f"{base_url}{ODATA_PREFIX}/{resource}?{query}"


def _encode_token(cursor_id: str, after: int) -> str:
    raw = f"{cursor_id}:{after}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        cursor_id, _, after = raw.rpartition(":")
        return cursor_id, int(after)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
