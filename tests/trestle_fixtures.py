"""Pytest plugin: Trestle sandboxes served over real HTTP on a free loopback port.

``trestle_sandbox`` is small (60 listings, fast profile); ``make_trestle_sandbox(**config)``
builds one with any ``TrestleSandboxConfig`` fields (scale, quota, token TTL, faults, ...).
Every sandbox started by a test is stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from wonder.sandbox.server import RunningServer, serve_in_thread
from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig
from wonder.settings import TrestleSettings

SMALL_SCALE = 60


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
