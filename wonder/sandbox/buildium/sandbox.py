"""The Buildium emulator, independent of any web framework.

``BuildiumSandbox.handle`` is its one entry point (``SandboxRequest`` in, ``Reply`` out), used
by the HTTP server (``app.py``) and by ``transport()`` (an ``httpx.MockTransport``). In order:
the control API (never faulted, no auth), the fault decision, header auth (401), the account's
rate limit (429, no rate headers), the 4,096-character query string limit (500), the route
(paths and parameter names are case-sensitive: 404), read-only keys (403 on writes), the
content type (415) and the body against the spec's request schema (400), then the operation.
Every error body is Buildium's ``{UserMessage, ErrorCode, Errors: [{Key, Value}]}``.

Extra control operations: ``POST /_sandbox/webhooks`` (target URL + secret),
``POST /_sandbox/webhooks/pump`` (deliver what is due), ``GET /_sandbox/requests`` (the
per-second request log per account), ``GET /_sandbox/truth`` (the sandbox's today, balances
from the ledger, the ids of every resource and every lease's ledger: the mirror's oracle).
"""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import orjson

from wonder.sandbox.adapters import mock_transport
from wonder.sandbox.buildium import api, business, contract, messages, writes
from wonder.sandbox.buildium.config import (
    ERROR_STATUSES,
    MAX_QUERY_CHARS,
    ApiKey,
    BuildiumAdvance,
    BuildiumFaultSettings,
    BuildiumSandboxConfig,
    WebhookTarget,
)
from wonder.sandbox.buildium.portfolio import new_tenant, seed
from wonder.sandbox.buildium.queries import Query, QueryError
from wonder.sandbox.buildium.store import BuildiumStore
from wonder.sandbox.buildium.traffic import RateLimiter
from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.control import ControlRouter, parse_body
from wonder.sandbox.faults import FaultInjector, FaultKind
from wonder.sandbox.http import Reply, SandboxRequest, json_reply, truncated
from wonder.sandbox.webhooks import DeliveryFaults, WebhookOutbox, buildium_signer

SUBSCRIPTION = "buildium"
JSON_TYPE = "application/json"


def error_reply(status: int, message: str, code: str, errors: list[tuple[str, str]] = ()) -> Reply:  # type: ignore[assignment]
    body = {
        "UserMessage": message,
        "ErrorCode": code,
        "Errors": [{"Key": k, "Value": v} for k, v in errors],
    }
    return json_reply(status, body)


@dataclass
class AdvanceResult:
    now: str
    months: int = 0
    transactions: int = 0
    edits: dict[str, int] = field(default_factory=dict)
    new_leases: list[int] = field(default_factory=list)
    ended_leases: list[int] = field(default_factory=list)
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BuildiumSandbox:
    """One emulated Buildium account. ``app`` is its ASGI application."""

    def __init__(self, config: BuildiumSandboxConfig | None = None) -> None:
        self.config = config or BuildiumSandboxConfig()
        self._lock = threading.Lock()
        self.faults = FaultInjector(
            self.config.faults, self.config.seed, error_statuses=ERROR_STATUSES
        )
        self.clock = SandboxClock(self.config.start_time, frozen=self.config.frozen_clock)
        self.outbox = WebhookOutbox(self.clock, seed=self.config.seed)
        self._target: WebhookTarget | None = None
        self._build_state()
        self.control = ControlRouter(
            self,
            BuildiumAdvance,
            BuildiumFaultSettings,
            extra={
                "/_sandbox/webhooks": ("POST", self._set_webhook),
                "/_sandbox/webhooks/pump": (
                    "POST",
                    lambda r: json_reply(
                        200, {"attempts": [a.as_dict() for a in self.outbox.pump()]}
                    ),
                ),
                "/_sandbox/requests": ("GET", lambda r: json_reply(200, self.request_log())),
                "/_sandbox/truth": (
                    "GET",
                    lambda r: json_reply(200, orjson.loads(messages.dumps(self.truth()))),
                ),
            },
        )
        from wonder.sandbox.buildium.app import create_app

        self.app = create_app(self)

    def _build_state(self) -> None:
        self.store = BuildiumStore(self.clock, self.config.account_id)
        self.rng: random.Random = seed(self.store, self.config)
        self.store.emit = self._emit
        self.limiter = RateLimiter(self.config.rate_per_second(), self.clock)
        self._keys: dict[str, ApiKey] = {k.client_id: k for k in self.config.keys}
        self._stats: dict[str, int] = {}
        self.faults.configure(self.config.faults)
        self.faults.clear_counts()
        self._configure_delivery(self.config.faults)

    def _emit(self, payload: dict[str, Any]) -> None:
        self.outbox.enqueue(payload)

    # ------------------------------------------------------------ control (Python API)

    def set_webhook(self, url: str, secret: str, *, deliver_in_background: bool = False) -> None:
        """Send every event from now on to ``url``, signed with ``secret``."""
        self.outbox.stop()
        self.outbox.unsubscribe(SUBSCRIPTION)
        self.outbox.subscribe(
            url,
            buildium_signer(secret),
            policy=self.config.retry_policy(),
            subscription_id=SUBSCRIPTION,
        )
        from pydantic import SecretStr

        self._target = WebhookTarget(
            url=url, secret=SecretStr(secret), deliver_in_background=deliver_in_background
        )
        if deliver_in_background:
            self.outbox.start()

    def _set_webhook(self, request: SandboxRequest) -> Reply:
        parsed = parse_body(WebhookTarget, request.body)
        if isinstance(parsed, Reply):
            return parsed
        self.set_webhook(
            parsed.url,
            parsed.secret.get_secret_value(),
            deliver_in_background=parsed.deliver_in_background,
        )
        return json_reply(
            200, {"url": parsed.url, "deliver_in_background": parsed.deliver_in_background}
        )

    def advance(self, **values: Any) -> AdvanceResult:
        return self.apply_advance(BuildiumAdvance(**values))

    def apply_advance(self, request: BuildiumAdvance) -> AdvanceResult:
        with self.store.lock:
            before = self.store.events_sent
            if request.seconds:
                self.clock.advance(request.seconds)
            result = AdvanceResult(now="")
            for _ in range(request.months):
                first = business.next_month(self.store.today())
                target = datetime(first.year, first.month, 28, 12, tzinfo=UTC)
                self.clock.advance((target - self.clock.now()).total_seconds())
                result.transactions += business.month_cycle(
                    self.store, self.rng, first, self.store.today()
                )
                result.months += 1
            for _ in range(request.edits):
                changed = business.edit_one(self.store, self.rng)
                result.edits[changed] = result.edits.get(changed, 0) + 1
            for _ in range(request.ended_leases):
                active = [
                    x for x in self.store.records["leases"].values() if x["LeaseStatus"] == "Active"
                ]
                if active:
                    lease = self.rng.choice(active)
                    business.move_out(self.store, lease, self.store.today())
                    result.ended_leases.append(int(lease["Id"]))
            for _ in range(request.new_leases):
                lease_id = self._new_lease()
                if lease_id is not None:
                    result.new_leases.append(lease_id)
            for _ in range(request.payments):
                result.transactions += self._extra_payment()
            result.events = self.store.events_sent - before
            result.now = self.clock.now().isoformat()
        if self._target is not None and not self._target.deliver_in_background:
            self.outbox.pump()
        return result

    def _new_lease(self) -> int | None:
        store = self.store
        occupied = store.derived().occupied_units
        vacant = [u for uid, u in store.records["units"].items() if uid not in occupied]
        if not vacant:
            return None
        unit = self.rng.choice(vacant)
        tenants = [
            new_tenant(store, self.rng, unit["Address"]) for _ in range(self.rng.choice((1, 2)))
        ]
        lease = business.move_in(store, self.rng, unit, store.today(), tenants)
        store.post(
            int(lease["Id"]),
            "Charge",
            store.today(),
            ((business.RENT_GL, business.rent_of(lease)),),
            memo="Rent",
        )
        return int(lease["Id"])

    def _extra_payment(self) -> int:
        owing = [lid for lid in self.store.records["leases"] if self.store.balance(lid).total > 0]
        if not owing:
            return 0
        lease_id = self.rng.choice(sorted(owing))
        self.store.post(
            lease_id,
            "Payment",
            self.store.today(),
            self.store.balance(lease_id).total,
            payment_method="Check",
        )
        return 1

    def set_faults(
        self, settings: BuildiumFaultSettings | None = None, **values: Any
    ) -> BuildiumFaultSettings:
        chosen = settings or BuildiumFaultSettings(**values)
        self.faults.configure(chosen)
        self._configure_delivery(chosen)
        return chosen

    def _configure_delivery(self, settings: BuildiumFaultSettings) -> None:
        self.outbox.configure_faults(
            DeliveryFaults(
                duplicate_rate=settings.webhook_duplicate_rate,
                out_of_order_rate=settings.webhook_out_of_order_rate,
            )
        )

    def reset(self) -> None:
        with self.store.lock, self._lock:
            self.clock = SandboxClock(self.config.start_time, frozen=self.config.frozen_clock)
            self.outbox.clock = self.clock
            self.outbox.reset()
            self._build_state()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            requests = dict(sorted(self._stats.items()))
        webhooks = self.outbox.stats()
        webhooks.pop("attempts", None)
        return {
            "requests": requests,
            "rate_limit_per_second": self.limiter.per_second,
            "faults_injected": self.faults.counts(),
            "records": {
                **{name: len(records) for name, records in self.store.records.items()},
                "transactions": len(self.store.txns),
            },
            "webhooks": webhooks,
            "now": self.clock.now().isoformat(),
        }

    def request_log(self) -> dict[str, Any]:
        return {"per_second": self.limiter.per_second, "accounts": self.limiter.log()}

    def truth(self) -> dict[str, Any]:
        """What the ledger says each lease owes (the oracle for balances and reconciliation)."""
        with self.store.lock:
            out: dict[str, Any] = {}
            for lease_id in self.store.records["leases"]:
                balance = self.store.balance(lease_id)
                out[str(lease_id)] = {
                    "total": balance.total,
                    "aging": list(balance.aging),
                    "by_gl_account": {str(k): v for k, v in sorted(balance.by_gl_account.items())},
                }
            records = {
                name: sorted(int(i) for i in self.store.records[name])
                for name in ("glaccounts", "rentals", "units", "owners", "tenants", "leases")
            }
            ledgers = {
                str(lease_id): [
                    {
                        "id": t.id,
                        "date": t.date.isoformat(),
                        "type": t.type,
                        "total": t.total,
                        "lines": [[gl_id, amount] for gl_id, amount in t.lines],
                    }
                    for t in sorted(txns, key=lambda t: t.id)
                ]
                for lease_id, txns in sorted(self.store.ledger.items())
            }
            return {
                "today": self.store.today().isoformat(),
                "balances": out,
                "records": records,
                "ledgers": ledgers,
            }

    def transport(self) -> httpx.MockTransport:
        return mock_transport(self.handle)

    def close(self) -> None:
        self.outbox.close()

    # ------------------------------------------------------------ the one entry point

    def handle(self, request: SandboxRequest) -> Reply:
        control = self.control.handle(request)
        if control is not None:
            return control
        fault = self.faults.decide()
        if fault.kind is FaultKind.DROP:
            self._count(request.method, "drop", 0)
            return Reply(0, b"", drop=True, latency_seconds=fault.latency_seconds)
        route, reply = self._answer(request, fault.kind, fault.error_status)
        if fault.truncate and reply.status == 200:
            reply.body = truncated(reply.body)
        reply.latency_seconds = fault.latency_seconds
        # By the sandbox's clock (the one ``lastupdatedfrom`` compares with): a client keeps
        # its watermark from it, as from Buildium's own Date header.
        reply.headers.setdefault("Date", format_datetime(self.clock.now(), usegmt=True))
        self._count(request.method, route, reply.status)
        return reply

    def _count(self, method: str, route: str, status: int) -> None:
        key = f"{method} {route} {status}"
        with self._lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    def _authenticate(self, request: SandboxRequest) -> ApiKey | None:
        key = self._keys.get(request.header("x-buildium-client-id") or "")
        secret = (request.header("x-buildium-client-secret") or "").encode()
        if key is None or not secrets.compare_digest(
            secret, key.client_secret.get_secret_value().encode()
        ):
            return None
        return key

    def _answer(
        self, request: SandboxRequest, fault: FaultKind, error_status: int
    ) -> tuple[str, Reply]:
        path = request.path
        key = self._authenticate(request)
        if key is None:
            return path, error_reply(401, "The API key couldn't be authorized.", "Unauthorized")
        if fault is FaultKind.TOO_MANY or not self.limiter.admit(key.account_id):
            return path, error_reply(429, "Too many requests.", "TooManyRequests")
        if len(request.query_string) > MAX_QUERY_CHARS:
            return path, error_reply(500, "An error has occurred.", "InternalServerError")
        if fault is FaultKind.ERROR:
            return path, error_reply(
                error_status, "The service is unavailable.", "ServiceUnavailable"
            )
        found = contract.match(request.method, path)
        if found is None:
            if contract.path_exists(path):
                return path, error_reply(
                    405, "The requested method is not allowed.", "MethodNotAllowed"
                )
            return path, error_reply(404, "The requested resource was not found.", "NotFound")
        op, ids = found
        try:
            query = Query.parse(request.query, op.parameters)
            if op.method == "GET":
                with self.store.lock:
                    status, payload, total = api.READS[op.key](self.store, query, ids)
                headers = {"X-Total-Count": str(total)} if total is not None else {}
                return op.key, Reply(status, messages.dumps(payload), JSON_TYPE, headers)
            return op.key, self._write(request, key, op.key, ids)
        except QueryError as exc:
            code = "NotFound" if exc.status == 404 else "BadRequest"
            return op.key, error_reply(exc.status, exc.message, code, [(exc.key, exc.message)])
        except api.NotFoundError as exc:
            return op.key, error_reply(404, exc.message, "NotFound")
        except writes.WriteError as exc:
            return op.key, error_reply(
                exc.status, exc.message, "UnprocessableEntity", [(exc.key, exc.message)]
            )

    def _write(self, request: SandboxRequest, key: ApiKey, op_key: str, ids: list[int]) -> Reply:
        if key.read_only:
            return error_reply(403, "The API key does not have permission to write.", "Forbidden")
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != JSON_TYPE:
            return error_reply(
                415, "The Content-Type must be application/json.", "UnsupportedMediaType"
            )
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return error_reply(400, "The request body is not valid JSON.", "BadRequest")
        problems = contract.request_errors(op_key, body)
        if problems:
            return error_reply(400, "The request data is invalid.", "BadRequest", problems)
        with self.store.lock:
            if op_key == "POST /v1/leases/{leaseId}/charges":
                if self.store.get("leases", ids[0]) is None:
                    raise api.NotFoundError("Lease")
                txn = writes.post_charge(self.store, ids[0], body)
                payload = [messages.lease_transaction(self.store, txn)]
                location = f"{request.base_url}/v1/leases/{ids[0]}/transactions/{txn.id}"
                return Reply(201, messages.dumps(payload), JSON_TYPE, {"Location": location})
            resource, what, render = api.PUT_TARGETS[op_key]
            record = self.store.get(resource, ids[0])
            if record is None:
                raise api.NotFoundError(what)
            writes.PUTS[resource](self.store, record, body)
            self.store.touch(resource, ids[0])
            return Reply(200, messages.dumps(render(self.store, record)), JSON_TYPE)
