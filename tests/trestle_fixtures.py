"""Pytest plugin: Trestle sandboxes, over real HTTP on a free loopback port or in process.

``trestle_sandbox`` is small (60 listings, fast profile); ``make_trestle_sandbox(**config)``
builds one with any ``TrestleSandboxConfig`` fields (scale, quota, token TTL, faults, ...).
Every sandbox started by a test is stopped when the test ends.

``mock_trestle(**config)`` builds a sandbox reached through ``httpx.MockTransport`` (no
socket, no server thread): the same ``TrestleSandbox.handle`` core, driven by the real
``TrestleClient``; it records every exchange so tests can read the queries a client sent.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from wonder.clients.trestle import TrestleClient
from wonder.sandbox.server import RunningServer, serve_in_thread
from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig
from wonder.sandbox.trestle.schema import load_schema
from wonder.settings import TrestleSettings

SMALL_SCALE = 60
MOCK_BASE_URL = "http://trestle.sandbox.test"
MOCK_START = datetime(2026, 1, 31, 12, tzinfo=UTC)


@dataclass
class RunningTrestle:
    base_url: str
    sandbox: TrestleSandbox
    settings: TrestleSettings
    server: RunningServer

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{self.settings.token_path}"

    @property
    def odata_url(self) -> str:
        return f"{self.base_url}{self.settings.odata_path}"


def start_trestle(**config: Any) -> RunningTrestle:
    values: dict[str, Any] = {"listings": SMALL_SCALE, "profile": "fast", **config}
    sandbox = TrestleSandbox(TrestleSandboxConfig(**values))
    server = serve_in_thread(sandbox.app)
    settings = TrestleSettings(
        base_url=server.base_url,
        client_id=sandbox.config.client_id,
        client_secret=sandbox.config.client_secret,
    )
    return RunningTrestle(server.base_url, sandbox, settings, server)


@pytest.fixture
def make_trestle_sandbox() -> Iterator[Callable[..., RunningTrestle]]:
    started: list[RunningTrestle] = []

    def make(**config: Any) -> RunningTrestle:
        running = start_trestle(**config)
        started.append(running)
        return running

    yield make
    # Not waiting saves uvicorn's ~0.2 s shutdown per test; the daemon threads end on their own.
    for running in started:
        running.server.stop(wait=False)


@pytest.fixture
def trestle_sandbox(
    make_trestle_sandbox: Callable[..., RunningTrestle],
) -> RunningTrestle:
    return make_trestle_sandbox()


@dataclass
class MockTrestle:
    """A sandbox behind an ``httpx.MockTransport``; ``exchanges`` holds every request/answer."""

    sandbox: TrestleSandbox
    settings: TrestleSettings
    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        core = self.sandbox.transport()

        def handle(request: httpx.Request) -> httpx.Response:
            response = core.handle_request(request)
            response.read()
            self.exchanges.append((request, response))
            return response

        return httpx.MockTransport(handle)

    def client(self, page_size: int = 10) -> TrestleClient:
        """The real client on this sandbox's clock; its waits move that clock (instantly)."""
        settings = self.settings.model_copy(
            update={
                "page_size": page_size,
                "backoff_base_seconds": 0.001,
                "backoff_max_seconds": 0.01,
            }
        )
        clock = self.sandbox.clock

        def sleep(seconds: float) -> None:
            clock.advance(seconds)

        return TrestleClient(
            settings,
            transport=self.transport(),
            clock=clock.now_seconds,
            wall_clock=clock.now_seconds,
            sleep=sleep,
        )

    def queries(self, resource: str, since: int = 0) -> list[dict[str, str]]:
        """The query options of each request for ``resource`` (from exchange ``since`` on)."""
        path = f"{self.settings.odata_path}/{resource}"
        return [
            dict(request.url.params.multi_items())
            for request, _ in self.exchanges[since:]
            if request.url.path == path
        ]

    def answers(self, resource: str, since: int = 0) -> list[dict[str, Any]]:
        """The JSON bodies the sandbox answered for ``resource`` (from exchange ``since`` on)."""
        path = f"{self.settings.odata_path}/{resource}"
        return [
            response.json()
            for request, response in self.exchanges[since:]
            if request.url.path == path and response.status_code == 200
        ]


def mock_trestle(**config: Any) -> MockTrestle:
    values: dict[str, Any] = {
        "listings": SMALL_SCALE,
        "profile": "fast",
        "start_time": MOCK_START,
        "frozen_clock": True,
        **config,
    }
    sandbox = TrestleSandbox(TrestleSandboxConfig(**values))
    settings = TrestleSettings(
        base_url=MOCK_BASE_URL,
        client_id=sandbox.config.client_id,
        client_secret=sandbox.config.client_secret,
    )
    return MockTrestle(sandbox, settings)


# -- how the sandbox serves values (for oracles) ------------------------------------------


def moment(text: str) -> datetime:
    """A served Edm.DateTimeOffset (``...T12:00:19.000Z``) as a datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def served(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@functools.cache
def _standard_names() -> dict[str, str]:
    """StandardStatus member → its RESO display name, from the sandbox's own $metadata."""
    return reso_standard_names("StandardStatus")


@functools.cache
def reso_standard_names(enum_type: str) -> dict[str, str]:
    """An enumeration's members → their RESO display names, from the sandbox's $metadata."""
    edm = "{http://docs.oasis-open.org/odata/ns/edm}"
    root = ET.fromstring(load_schema().xml)
    names: dict[str, str] = {}
    for enum in root.iter(f"{edm}EnumType"):
        if enum.attrib["Name"] == enum_type:
            for member in enum.findall(f"{edm}Member"):
                note = member.find(f"{edm}Annotation[@Term='RESO.OData.Metadata.StandardName']")
                names[member.attrib["Name"]] = note.attrib["String"] if note is not None else ""
    return names


def status(record: dict[str, Any]) -> str:
    """The StandardStatus a listing is stored with: the display name of the served member."""
    return _standard_names()[record["StandardStatus"]]


def token_for(trestle: RunningTrestle, client: httpx.Client) -> str:
    """An access token from the sandbox's token endpoint, over real HTTP."""
    response = client.post(
        trestle.token_url,
        data={
            "client_id": trestle.settings.client_id,
            "client_secret": trestle.settings.client_secret.get_secret_value(),
            "grant_type": "client_credentials",
            "scope": "api",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
