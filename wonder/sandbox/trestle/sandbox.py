"""The Trestle emulator, independent of any web framework.

``TrestleSandbox.handle`` is its one entry point: a ``SandboxRequest`` in, a ``Reply`` out.
The HTTP server (``app.py``) and ``transport()`` (an ``httpx.MockTransport`` for tests without
sockets) both call it, so the two cannot diverge. It serves the control API first
(``wonder.sandbox.control``, never faulted), then the Trestle paths: the token endpoint, the
service document and OData resources (``pages.py``), the media downloads (``media.py``), each
after the fault decision, and counts every request in ``stats()``. Every answer under the OData
root carries the query quota headers, 401s and the public service document included (API-FACTS:
"Headers on every answer"); media answers carry the media quota in the same headers.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import orjson

from wonder.sandbox.adapters import mock_transport
from wonder.sandbox.clock import MICROS, SandboxClock
from wonder.sandbox.control import ControlRouter
from wonder.sandbox.faults import FaultDecision, FaultInjector, FaultKind
from wonder.sandbox.http import Reply, SandboxRequest, json_reply, truncated
from wonder.sandbox.trestle.config import (
    ERROR_STATUSES,
    TrestleAdvance,
    TrestleFaultSettings,
    TrestleSandboxConfig,
)
from wonder.sandbox.trestle.intended import Intended, intended_state
from wonder.sandbox.trestle.media import MediaDownloads
from wonder.sandbox.trestle.odata import ODataError
from wonder.sandbox.trestle.pages import ODataPages
from wonder.sandbox.trestle.query import PropertyRow, RecordRow, serializer
from wonder.sandbox.trestle.quota import QuotaTracker
from wonder.sandbox.trestle.records import build_media
from wonder.sandbox.trestle.replies import (
    ERROR_MESSAGES,
    MEDIA_PREFIX,
    ODATA_PREFIX,
    ODATA_VERSION,
    QUOTA_HEADER,
    TOKEN_PATH,
    error_reply,
    odata_reply,
)
from wonder.sandbox.trestle.schema import Schema, load_schema
from wonder.sandbox.trestle.state import AdvanceResult, ListingStore


class TrestleSandbox:
    """One emulated Trestle service. ``app`` is its ASGI application."""

    def __init__(self, config: TrestleSandboxConfig | None = None) -> None:
        self.config = config or TrestleSandboxConfig()
        self.schema: Schema = load_schema()
        self._lock = threading.Lock()
        self.faults = FaultInjector(
            self.config.faults, self.config.seed, error_statuses=ERROR_STATUSES
        )
        self._build_state()
        self.control = ControlRouter(self, TrestleAdvance, TrestleFaultSettings)
        from wonder.sandbox.trestle.app import create_app

        self.app = create_app(self)

    def _build_state(self) -> None:
        config = self.config
        self.clock = SandboxClock(config.start_time, frozen=config.frozen_clock)
        self.store = ListingStore(config.seed, config.listings, self.clock)
        limits = config.limits()
        self.quota = QuotaTracker(limits.minute_quota, limits.hour_quota, self.clock)
        self.media_quota = QuotaTracker(
            limits.media_minute_quota, limits.media_hour_quota, self.clock
        )
        self.media = MediaDownloads(self.store, self.media_quota)
        self.pages = ODataPages(
            self.schema,
            self.store,
            self.clock,
            self.faults,
            config.replication_idle_seconds,
            config.query_cost,
        )
        self._tokens: dict[str, tuple[str, int]] = {}
        self._stats: dict[str, int] = {}
        self.faults.configure(config.faults)
        self.faults.clear_counts()

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
        deleted_listings: int = 0,
        vanished_listings: int = 0,
        remapped: int = 0,
    ) -> AdvanceResult:
        """Move the clock and change data (see ``TrestleAdvance`` for each kind)."""
        return self.apply_advance(
            TrestleAdvance(
                seconds=seconds,
                price_changes=price_changes,
                status_changes=status_changes,
                media_changes=media_changes,
                new_listings=new_listings,
                removed_listings=removed_listings,
                bad_records=bad_records,
                same_timestamp=same_timestamp,
                deleted_listings=deleted_listings,
                vanished_listings=vanished_listings,
                remapped=remapped,
            )
        )

    def apply_advance(self, request: TrestleAdvance) -> AdvanceResult:
        return self.store.advance(**request.model_dump())

    def set_faults(
        self, settings: TrestleFaultSettings | None = None, **values: Any
    ) -> TrestleFaultSettings:
        """Replace the fault settings (fields not given are off)."""
        chosen = settings or TrestleFaultSettings(**values)
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
            "media_quota": self.media_quota.snapshot(),
            "faults_injected": self.faults.counts(),
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
                out[str(row.get("ListingKey"))] = serialize(row, None, "")
            return out

    def intended(self, base_url: str = "") -> Intended:
        """What the sandbox means to serve, typed, and every record it corrupted on purpose
        (``wonder.sandbox.trestle.intended``); media URLs under ``base_url``."""
        return intended_state(self.store, base_url)

    def media_truth(self, base_url: str = "") -> dict[str, list[dict[str, Any]]]:
        """Every live listing's current media (ordered by Order), by ListingKey (test oracles);
        MediaURLs under ``base_url`` (paths when it is empty)."""
        serialize = serializer(self.schema.entities["Media"])
        with self.store.lock:
            return {
                str(self.store.key_field(index, "ListingKey")): [
                    serialize(RecordRow(media), None, base_url)
                    for media in build_media(self.store.seed, self.store.state(index))
                ]
                for index in self.store.indexes_by_key()
            }

    def count_request(self, method: str, route: str, status: int) -> None:
        key = f"{method} {route} {status}"
        with self._lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    # ------------------------------------------------------------ the one entry point

    def handle(self, request: SandboxRequest) -> Reply:
        """Any request: the control API, else the Trestle paths."""
        control = self.control.handle(request)
        if control is not None:
            return control
        path, method = request.path, request.method
        if path == TOKEN_PATH and method == "POST":
            return self._faulted(request, TOKEN_PATH, False, self._token)
        if path in (ODATA_PREFIX, ODATA_PREFIX + "/") and method == "GET":
            return self._faulted(request, ODATA_PREFIX, False, self._service_document)
        if path.startswith(ODATA_PREFIX + "/") and method == "GET":
            resource = unquote(path[len(ODATA_PREFIX) + 1 :])
            route = f"{ODATA_PREFIX}/{resource.partition('(')[0]}"
            return self._faulted(request, route, True, lambda r, f: self.odata(resource, r, f))
        if path.startswith(MEDIA_PREFIX + "/") and method == "GET":
            return self._faulted(request, MEDIA_PREFIX, True, self._media)
        reply = error_reply(404, f"No route for {path}")
        reply.headers.update(ODATA_VERSION)
        if path.startswith(ODATA_PREFIX):
            reply.headers.update(self._quota_headers(request))
        return reply

    def transport(self) -> httpx.MockTransport:
        """This sandbox as an ``httpx.MockTransport`` (no socket; same core as the server)."""
        return mock_transport(self.handle)

    def _faulted(
        self,
        request: SandboxRequest,
        route: str,
        data_request: bool,
        answer: Callable[[SandboxRequest, FaultDecision], Reply],
    ) -> Reply:
        """Decide the request's fault, answer it (unless dropped), count it."""
        fault = self.faults.decide(data_request=data_request)
        if fault.kind is FaultKind.DROP:
            self.count_request(request.method, route, 0)
            return Reply(0, b"", drop=True, latency_seconds=fault.latency_seconds)
        if fault.kind is FaultKind.ERROR and not data_request:
            reply = error_reply(fault.error_status, ERROR_MESSAGES[fault.error_status])
        else:
            reply = answer(request, fault)
        if route.startswith(ODATA_PREFIX):
            reply.headers.update(ODATA_VERSION)
            if QUOTA_HEADER not in reply.headers:
                reply.headers.update(self._quota_headers(request))
        if reply.truncate:
            reply.body = truncated(reply.body)
        reply.latency_seconds = fault.latency_seconds
        self.count_request(request.method, route, reply.status)
        return reply

    # ------------------------------------------------------------ token endpoint

    def _token(self, request: SandboxRequest, fault: FaultDecision) -> Reply:
        raw = request.body.decode("utf-8", errors="replace")
        form = dict(parse_qsl(raw, keep_blank_values=True))
        return self.issue_token(form, _basic_credentials(request.header("authorization")))

    def issue_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> Reply:
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if basic is not None:
            client_id, client_secret = basic
        if form.get("grant_type") != "client_credentials":
            return json_reply(400, {"error": "unsupported_grant_type"})
        expected = self.config.client_secret.get_secret_value()
        valid_id = secrets.compare_digest(client_id.encode(), self.config.client_id.encode())
        valid_secret = secrets.compare_digest(client_secret.encode(), expected.encode())
        if not (valid_id and valid_secret):
            return json_reply(400, {"error": "invalid_client"})
        scope = form.get("scope", "api")
        if scope not in ("api", ""):
            return json_reply(400, {"error": "invalid_scope"})
        token = secrets.token_urlsafe(32)
        ttl = self.config.token_ttl_seconds
        with self._lock:
            now = self.clock.now_micros()
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (client_id, now + ttl * MICROS)
        body = {"access_token": token, "expires_in": ttl, "token_type": "Bearer"}
        return json_reply(200, body, {"Cache-Control": "no-store"})

    def _token_entry(self, authorization: str | None) -> tuple[str, int] | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        token = authorization[len("Bearer ") :].strip()
        with self._lock:
            return self._tokens.get(token)

    def _client_for(self, authorization: str | None) -> str | None:
        entry = self._token_entry(authorization)
        if entry is None or entry[1] <= self.clock.now_micros():
            return None
        return entry[0]

    def _quota_headers(self, request: SandboxRequest) -> dict[str, str]:
        """The query quota of the connection the request's token names (expired or not),
        without counting the request; an unused quota when it names none."""
        entry = self._token_entry(request.header("authorization"))
        return self.quota.peek(entry[0]) if entry is not None else self.quota.unused_headers()

    # ------------------------------------------------------------ media downloads

    def _media(self, request: SandboxRequest, fault: FaultDecision) -> Reply:
        client_id = self._client_for(request.header("authorization")) or self.config.client_id
        return self.media.download(request.path, client_id, fault)

    # ------------------------------------------------------------ OData

    def _service_document(self, request: SandboxRequest, fault: FaultDecision) -> Reply:
        value = [{"name": name, "kind": "EntitySet", "url": name} for name in self.schema.entities]
        context = f"{request.base_url}{ODATA_PREFIX}/$metadata"
        return odata_reply(200, orjson.dumps({"@odata.context": context, "value": value}))

    def odata(self, resource: str, request: SandboxRequest, fault: FaultDecision) -> Reply:
        """A request under /trestle/odata/ (not the service document) after the drop fault."""
        client_id = self._client_for(request.header("authorization"))
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
            reply = self.pages.dispatch(resource, request.query, request.base_url, client_id)
        except ODataError as exc:
            reply = error_reply(exc.status, exc.message)
        reply.headers.update(decision.headers)
        reply.truncate = fault.truncate and reply.status == 200
        return reply


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from an ``Authorization: Basic`` header, if there is one."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None
