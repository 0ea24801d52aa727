"""Buildium's header auth as an ``httpx.Auth``: ``x-buildium-client-id`` and
``x-buildium-client-secret`` on every request. The secret stays a ``SecretStr`` until the
header is written and appears in no repr or message."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import SecretStr

CLIENT_ID_HEADER = "x-buildium-client-id"
CLIENT_SECRET_HEADER = "x-buildium-client-secret"  # noqa: S105 (a header name)


class BuildiumAuth(httpx.Auth):
    def __init__(self, client_id: str, client_secret: SecretStr) -> None:
        self.client_id = client_id
        self._secret = client_secret

    def __repr__(self) -> str:
        return f"BuildiumAuth(client_id={self.client_id!r}, client_secret='**********')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[CLIENT_ID_HEADER] = self.client_id
        request.headers[CLIENT_SECRET_HEADER] = self._secret.get_secret_value()
        yield request

    def redact(self, text: str) -> str:
        """``text`` with the secret replaced (for messages built from server answers)."""
        secret = self._secret.get_secret_value()
        return text.replace(secret, "**********") if secret else text
