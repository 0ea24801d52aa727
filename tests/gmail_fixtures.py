"""A Gmail sandbox over real HTTP and a google-api-python-client service bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from wonder.sandbox.gmail.config import GmailSandboxConfig
from wonder.sandbox.gmail.sandbox import GmailSandbox
from wonder.sandbox.server import serve_in_thread

TOKEN = "sandbox-gmail-token"


@dataclass
class GmailRig:
    sandbox: GmailSandbox
    base_url: str
    services: list[Any] = field(default_factory=list)

    def service(self, token: str = TOKEN) -> Any:
        """A Gmail client for ``token``; closed (its httplib2 sockets) at teardown."""
        service = build(
            "gmail",
            "v1",
            credentials=Credentials(token=token),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": self.base_url},
            static_discovery=True,
        )
        self.services.append(service)
        return service

    def close(self) -> None:
        for service in self.services:
            service.close()


@pytest.fixture
def gmail_config() -> GmailSandboxConfig:
    # A frozen clock: history is stable unless a test advances it; the fast profile's quota
    # (100 times the real one) does not refill either, but no test here comes near it.
    return GmailSandboxConfig(
        messages_per_mailbox=40, listings=50, frozen_clock=True, profile="fast"
    )


@pytest.fixture
def gmail(gmail_config: GmailSandboxConfig) -> Iterator[GmailRig]:
    sandbox = GmailSandbox(gmail_config)
    with serve_in_thread(sandbox.app) as server:
        rig = GmailRig(sandbox, server.base_url)
        try:
            yield rig
        finally:
            rig.close()
    sandbox.state.outbox.close()
