"""Buildium sandboxes for tests, and a transport that checks every exchange against the spec.

``start_buildium(**config)`` runs a sandbox over real HTTP on a free loopback port;
``mock_buildium(**config)`` reaches one through ``httpx.MockTransport``. Either way the client
talks through ``ContractTransport``, which validates every request the client sends (path,
parameter names, body) and every response the sandbox gives against ``openapi-subset.json``
(derived from Buildium's OpenAPI spec) and records what broke it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from wonder.clients.buildium import BuildiumClient
from wonder.clients.governor import TokenBucket
from wonder.sandbox.buildium import BuildiumSandbox, BuildiumSandboxConfig, contract
from wonder.sandbox.server import RunningServer, serve_in_thread
from wonder.settings import BuildiumSettings

START = datetime(2026, 3, 10, 12, tzinfo=UTC)
SMALL = {"properties": 8, "units": 40, "leases": 32, "history_months": 4}
MOCK_BASE_URL = "http://buildium.sandbox.test"
FULL_HEADERS = {
    "x-buildium-client-id": "sandbox-client",
    "x-buildium-client-secret": "sandbox-secret",
}
READ_ONLY_HEADERS = {
    "x-buildium-client-id": "sandbox-readonly",
    "x-buildium-client-secret": "sandbox-readonly-secret",
}


@dataclass
class ContractTransport(httpx.BaseTransport):
    inner: httpx.BaseTransport
    request_violations: list[str] = field(default_factory=list)
    response_violations: list[str] = field(default_factory=list)
    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        where = f"{request.method} {request.url.path}"
        found = contract.match(request.method, request.url.path)
        body = request.read()
        if found is None:
            self.request_violations.append(f"{where}: not an operation of the spec")
        else:
            op, _ = found
            for name, _value in request.url.params.multi_items():
                if name not in op.parameters:
                    self.request_violations.append(f"{where}: parameter {name!r} not in the spec")
            for name, spec in op.parameters.items():
                if spec["in"] == "query" and spec["required"] and name not in request.url.params:
                    self.request_violations.append(f"{where}: required parameter {name!r} missing")
            if body:
                for path, message in contract.request_errors(op.key, orjson.loads(body)):
                    self.request_violations.append(f"{where} request {path}: {message}")
        response = self.inner.handle_request(request)
        response.read()
        if found is not None and response.status_code != 0:
            op, _ = found
            self.checked.add(f"{op.key} {response.status_code}")
            try:
                payload = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                payload = None
            if payload is not None:
                for path, message in contract.response_errors(
                    op.key, response.status_code, payload
                ):
                    self.response_violations.append(
                        f"{where} -> {response.status_code} {path}: {message}"
                    )
        self.exchanges.append((request, response))
        return response

    def close(self) -> None:  # clients share this transport: the fixture closes it, once
        pass

    def close_inner(self) -> None:
        self.inner.close()

    @property
    def violations(self) -> list[str]:
        return self.request_violations + self.response_violations

    @property
    def queries(self) -> list[str]:
        return [req.url.query.decode() for req, _ in self.exchanges]


@dataclass
class RunningBuildium:
    sandbox: BuildiumSandbox
    settings: BuildiumSettings
    server: RunningServer | None
    transport: ContractTransport

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def client(self, **kwargs: Any) -> BuildiumClient:
        kwargs.setdefault("governor", TokenBucket(10_000))
        kwargs.setdefault("sleep", lambda s: None)
        return BuildiumClient(self.settings, transport=self.transport, **kwargs)

    def raw(self, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            transport=self.transport,
            headers=FULL_HEADERS if headers is None else headers,
        )


def config(**values: Any) -> BuildiumSandboxConfig:
    merged = {**SMALL, "profile": "fast", "start_time": START, "frozen_clock": True, **values}
    return BuildiumSandboxConfig(**merged)


def settings_for(base_url: str, **values: Any) -> BuildiumSettings:
    return BuildiumSettings(base_url=base_url, **values)


@pytest.fixture
def mock_buildium() -> Iterator[Any]:
    made: list[BuildiumSandbox] = []

    def make(settings: dict[str, Any] | None = None, **values: Any) -> RunningBuildium:
        sandbox = BuildiumSandbox(config(**values))
        made.append(sandbox)
        transport = ContractTransport(sandbox.transport())
        return RunningBuildium(
            sandbox, settings_for(MOCK_BASE_URL, **(settings or {})), None, transport
        )

    yield make
    for sandbox in made:
        sandbox.close()


@pytest.fixture
def http_buildium() -> Iterator[Any]:
    made: list[RunningBuildium] = []

    def make(settings: dict[str, Any] | None = None, **values: Any) -> RunningBuildium:
        sandbox = BuildiumSandbox(config(**values))
        server = serve_in_thread(sandbox.app)
        transport = ContractTransport(httpx.HTTPTransport())
        running = RunningBuildium(
            sandbox, settings_for(server.base_url, **(settings or {})), server, transport
        )
        made.append(running)
        return running

    yield make
    for running in made:
        running.transport.close_inner()
        if running.server is not None:
            running.server.stop()
        running.sandbox.close()
