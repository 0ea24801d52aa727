"""The Gmail emulator, independent of any web framework.

``GmailSandbox.handle`` is its one entry point (the HTTP app and ``transport()`` both call it):
the control API (``/_sandbox/...``, never faulted, no auth), the sandbox's push keys
(``/oauth2/v1/certs``, ``/oauth2/v3/certs``), the batch endpoint (``/batch/gmail/v1``) and the
REST paths ``/gmail/v1/users/{userId}/...``. A data call is authenticated (bearer token, 401
with Google's body), faulted, charged to its mailbox's quota (429 ``rateLimitExceeded``, or 403
``userRateLimitExceeded`` when ``quota_status`` is 403), then answered.

Tokens: each configured token acts for every mailbox named as ``userId``; ``me`` is the first
mailbox, or the one a token names after a colon (``sandbox-gmail-token:leasing@...``).
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from wonder.sandbox.adapters import mock_transport
from wonder.sandbox.control import ControlRouter, parse_body
from wonder.sandbox.faults import FaultInjector, FaultKind
from wonder.sandbox.gmail.api import ApiError, GmailApi, match, method_name
from wonder.sandbox.gmail.batch import BatchError, compose_batch, parse_batch
from wonder.sandbox.gmail.config import (
    ERROR_STATUSES,
    MAX_BATCH_CALLS,
    GmailAdvance,
    GmailFaultSettings,
    GmailSandboxConfig,
    quota_regime,
)
from wonder.sandbox.gmail.corpus import load_mail
from wonder.sandbox.gmail.push import JWKS_PATH, PEM_CERTS_PATH
from wonder.sandbox.gmail.quota import QuotaBuckets, google_error
from wonder.sandbox.gmail.state import GmailState
from wonder.sandbox.http import Reply, SandboxRequest, json_reply, truncated

API_PREFIX = "/gmail/v1/users/"
BATCH_PATH = "/batch/gmail/v1"
GMAIL_CONTROL = "/_sandbox/gmail"


class _AdvanceResult(dict[str, Any]):
    def as_dict(self) -> dict[str, Any]:
        return dict(self)


class AddMail(BaseModel):
    """``POST /_sandbox/gmail/messages``: add mail (raw RFC 822, base64url) or load a file."""

    model_config = ConfigDict(extra="forbid")

    mailbox: str
    raw: str | None = None
    path: str | None = None
    limit: int | None = Field(default=None, ge=1)
    labels: list[str] = Field(default_factory=lambda: ["INBOX", "UNREAD"])


class PushTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    audience: str | None = None


class GmailSandbox:
    """One emulated Gmail service for several mailboxes. ``app`` is its ASGI application."""

    def __init__(self, config: GmailSandboxConfig | None = None) -> None:
        self.config = config or GmailSandboxConfig()
        self.faults = FaultInjector(
            self.config.faults, self.config.seed, error_statuses=ERROR_STATUSES
        )
        self._lock = threading.Lock()
        self.quota_status = 429
        self._build()
        self.control = ControlRouter(
            self,
            GmailAdvance,
            GmailFaultSettings,
            extra={
                f"{GMAIL_CONTROL}/messages": ("POST", self._control_add),
                f"{GMAIL_CONTROL}/push": ("POST", self._control_push),
                f"{GMAIL_CONTROL}/truth": ("GET", lambda _: json_reply(200, self.truth())),
                f"{GMAIL_CONTROL}/pump": (
                    "POST",
                    lambda _: json_reply(200, {"attempts": self.pump_push()}),
                ),
            },
        )
        self.api = GmailApi(self.state)
        from wonder.sandbox.gmail.app import create_app

        self.app = create_app(self)

    def _build(self) -> None:
        self.state = GmailState(self.config, self.faults)
        self.quota = QuotaBuckets(
            quota_regime(self.config.regime, self.config.profile), self.state.clock
        )
        self._stats: dict[str, int] = {}

    # ------------------------------------------------------------ control (Python API)

    def apply_advance(self, request: GmailAdvance) -> _AdvanceResult:
        return _AdvanceResult(self.state.advance(request))

    def set_faults(self, settings: GmailFaultSettings) -> GmailFaultSettings:
        self.faults.configure(settings)
        return settings

    def reset(self) -> None:
        with self._lock:
            self.state.outbox.close()
            self._build()
            self.api = GmailApi(self.state)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            requests = dict(sorted(self._stats.items()))
        return {
            "requests": requests,
            "quota": self.quota.snapshot(),
            "faults_injected": self.faults.counts(),
            "push": dict(self.state.push_counts),
            "push_outbox": {k: v for k, v in self.state.outbox.stats().items() if k != "attempts"},
            "mailboxes": {
                address: {"messages": len(box.messages), "historyId": box.history_id}
                for address, box in self.state.mailboxes.items()
            },
            "now": self.state.clock.now().isoformat(),
        }

    def truth(self) -> dict[str, dict[str, Any]]:
        return self.state.truth()

    def pump_push(self) -> list[dict[str, Any]]:
        return [attempt.as_dict() for attempt in self.state.outbox.pump()]

    def transport(self) -> httpx.MockTransport:
        return mock_transport(self.handle)

    # ------------------------------------------------------------ entry point

    def handle(self, request: SandboxRequest) -> Reply:
        control = self.control.handle(request)
        if control is not None:
            return control
        if request.path == PEM_CERTS_PATH:
            return json_reply(200, self.state.push_key.pem_certs())
        if request.path == JWKS_PATH:
            return json_reply(200, self.state.push_key.jwks())
        if request.path == BATCH_PATH:
            return self._batch(request)
        reply = self._data(request, in_batch=False)
        self._count(request.method, request.path, reply.status)
        return reply

    def _count(self, method: str, path: str, status: int) -> None:
        route = path.split("/users/", 1)[-1].split("/", 1)[-1] if "/users/" in path else path
        key = f"{method} {route.split('/')[0]} {status}"
        with self._lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    def _mailbox_for(self, request: SandboxRequest, user_id: str) -> str:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        base, _, named = token.partition(":")
        if scheme.lower() != "bearer" or base not in self.config.tokens:
            raise ApiError(401, "Request had invalid authentication credentials.", "authError")
        if user_id == "me":
            user_id = named or self.config.mailboxes[0]
        if user_id not in self.state.mailboxes or (named and named != user_id):
            raise ApiError(403, "Delegation denied for this user", "forbidden")
        return user_id

    def _data(self, request: SandboxRequest, *, in_batch: bool) -> Reply:
        if not request.path.startswith(API_PREFIX):
            return json_reply(404, google_error(404, "Not Found", "notFound"))
        user_id, _, rest = request.path[len(API_PREFIX) :].partition("/")
        parts = rest.split("/") if rest else []
        for http_method, pattern, handler in self.api.routes():
            ids = match(parts, pattern)
            if ids is None or http_method != request.method:
                continue
            try:
                mailbox = self._mailbox_for(request, user_id)
                fault, truncate = self._fault(in_batch)
                if fault is not None:
                    return fault
                if not self.quota.take(mailbox, method_name(http_method, pattern)):
                    return self._over_quota()
                with self.state.lock:
                    reply = handler(request, self.state.mailboxes[mailbox], *ids)
            except ApiError as error:
                return error.reply()
            if truncate and not in_batch:
                reply.body, reply.truncate = truncated(reply.body), True
            return reply
        return json_reply(404, google_error(404, "Not Found", "notFound"))

    def _fault(self, in_batch: bool) -> tuple[Reply | None, bool]:
        """The fault reply for this call (None: answer it), and whether to cut its body."""
        decision = self.faults.decide()
        settings: GmailFaultSettings = self.faults.settings
        if in_batch and self.faults.chance("batch_part_429", settings.batch_part_429_rate):
            return self._over_quota(), False
        if in_batch and self.faults.chance("batch_part_500", settings.batch_part_500_rate):
            return json_reply(500, google_error(500, "Backend Error", "backendError")), False
        if decision.kind is FaultKind.DROP and not in_batch:
            return Reply(0, b"", drop=True, latency_seconds=decision.latency_seconds), False
        if decision.kind is FaultKind.TOO_MANY:
            return self._over_quota(), False
        if decision.kind is FaultKind.ERROR:
            status = decision.error_status
            return json_reply(status, google_error(status, "Backend Error", "backendError")), False
        return None, decision.truncate

    def _over_quota(self) -> Reply:
        if self.quota_status == 403:
            body = google_error(403, "User-rate limit exceeded", "userRateLimitExceeded")
            return json_reply(403, body)
        return json_reply(429, google_error(429, "Too many requests", "rateLimitExceeded"))

    def _batch(self, request: SandboxRequest) -> Reply:
        if request.method != "POST":
            return json_reply(405, google_error(405, "Method Not Allowed", "badRequest"))
        try:
            calls = parse_batch(request.header("content-type") or "", request.body)
        except BatchError as exc:
            return json_reply(400, google_error(400, str(exc), "badRequest"))
        if len(calls) > MAX_BATCH_CALLS:
            message = f"Inner request count exceeds the limit: {MAX_BATCH_CALLS}"
            return json_reply(400, google_error(400, message, "badRequest"))
        answers: list[tuple[str, Reply]] = []
        for call in calls:
            headers = {**request.headers, **call.headers}
            inner = SandboxRequest(
                call.method, call.path, call.query, headers, call.body, request.base_url
            )
            reply = self._data(inner, in_batch=True)
            self._count(inner.method, inner.path, reply.status)
            answers.append((call.content_id, reply))
        return compose_batch(answers)

    def _control_add(self, request: SandboxRequest) -> Reply:
        body = parse_body(AddMail, request.body)
        if isinstance(body, Reply):
            return body
        if body.mailbox not in self.state.mailboxes:
            return json_reply(400, {"error": f"unknown mailbox {body.mailbox[:80]!r}"})
        added: list[str] = []
        if body.raw is not None:
            try:
                padded = body.raw.encode() + b"=" * (-len(body.raw) % 4)
                raw = base64.b64decode(padded, altchars=b"-_", validate=True)
            except ValueError:
                return json_reply(400, {"error": "raw: not base64url"})
            added.append(self.state.add_raw(body.mailbox, raw, set(body.labels)).id)
        if body.path is not None:
            try:
                for mail in load_mail(Path(body.path), body.limit):
                    added.append(
                        self.state.add_raw(body.mailbox, mail.raw, set(body.labels), mail.truth).id
                    )
            except (OSError, ValueError) as exc:
                return json_reply(400, {"error": str(exc)[:300], "added": added})
        return json_reply(200, {"added": added})

    def _control_push(self, request: SandboxRequest) -> Reply:
        target = parse_body(PushTarget, request.body)
        if isinstance(target, Reply):
            return target
        return json_reply(
            200, {"subscription": self.state.set_push_target(target.url, target.audience)}
        )
