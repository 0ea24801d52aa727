"""A scripted in-memory Trestle behind ``httpx.MockTransport``, plus a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from wonder.settings import TrestleSettings

WALL_START = datetime(2026, 1, 31, 12, 0, tzinfo=UTC).timestamp()
SECRET = "s3cr3t-client-secret"

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic and wall clocks that only move when the client sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return WALL_START + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def odata_error(status: int, code: str, message: str, **kw: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}}, **kw)


def page(
    records: list[dict[str, Any]],
    next_link: str | None = None,
    count: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"@odata.context": "$metadata#Property", "value": records}
    if next_link is not None:
        body["@odata.nextLink"] = next_link
    if count is not None:
        body["@odata.count"] = count
    return httpx.Response(200, json=body, headers=headers or {})


def truncated() -> httpx.Response:
    whole = json.dumps({"value": [{"ListingKey": "1"}]}).encode()
    return httpx.Response(200, content=whole[:12], headers={"Content-Type": "application/json"})


class FakeTrestle:
    """Token endpoint issuing ``tok-N``; OData answers come from ``script`` (then ``default``).

    A request whose bearer token is not the latest issued one gets a 401, like an expired token.
    """

    def __init__(self, settings: TrestleSettings) -> None:
        self.settings = settings
        self.ttl = 28800
        self.token_script: list[Step] = []
        self.script: list[Step] = []
        self.default: Step = lambda _request: page([])
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.token_requests: list[httpx.Request] = []
        self.odata_requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.settings.token_path:
            self.token_requests.append(request)
            if self.token_script:
                return _run(self.token_script.pop(0), request)
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            if (
                form.get("client_id") != self.settings.client_id
                or form.get("client_secret") != self.settings.client_secret.get_secret_value()
                or form.get("grant_type") != "client_credentials"
            ):
                return httpx.Response(400, json={"error": "invalid_client"})
            token = f"tok-{len(self.issued) + 1}"
            self.issued.append(token)
            return httpx.Response(
                200, json={"access_token": token, "expires_in": self.ttl, "token_type": "Bearer"}
            )
        self.odata_requests.append(request)
        auth = request.headers.get("Authorization", "")
        if (
            not self.issued
            or auth != f"Bearer {self.issued[-1]}"
            or self.issued[-1] in self.revoked
        ):
            return odata_error(401, "401", "Unauthorized")
        step = self.script.pop(0) if self.script else self.default
        return _run(step, request)


def _run(step: Step, request: httpx.Request) -> httpx.Response:
    if isinstance(step, Exception):
        if isinstance(step, httpx.RequestError):
            step.request = request
        raise step
    if isinstance(step, httpx.Response):
        return step
    return step(request)
