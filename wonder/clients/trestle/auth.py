"""Trestle's OAuth2 client-credentials token cache as an ``httpx.Auth``.

``auth_flow`` adds ``Authorization: Bearer <token>`` to every request. The token is fetched on
first use (the token request is yielded from the flow, so it goes through the same client,
transport and hooks) and refreshed ``token_refresh_margin_seconds`` before it expires; a token
shorter-lived than twice the margin is used for half its life. A 401 drops the token and the
request is sent once more with a fresh one; a second 401 is the caller's to judge.

A token request that fails in a way a retry may fix (429, 5xx, a truncated answer) raises
``RetryableError`` out of the request, so the caller's one retry loop repeats the whole request;
a rejection (400, 401, ...) raises ``AuthError``. Neither the client secret nor the token ever
reaches a message or a repr.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx

from wonder.clients.errors import AuthError
from wonder.clients.retry import RetryableError, RetryLoop
from wonder.clients.trestle.responses import oauth_error, parse_json
from wonder.settings import TrestleSettings

# A token response without expires_in is assumed to live this long.
DEFAULT_TOKEN_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class Token:
    value: str
    refresh_at: float  # monotonic time after which a new token is fetched


class TrestleAuth(httpx.Auth):
    """Bearer tokens from Trestle's token endpoint, cached; see the module docstring.

    One per client and, like the client, not thread-safe. ``retry`` classifies the token
    endpoint's retryable answers (and reads ``Retry-After`` with its wall clock).
    """

    requires_response_body = True

    def __init__(
        self,
        settings: TrestleSettings,
        *,
        token_url: httpx.URL,
        clock: Callable[[], float],
        retry: RetryLoop,
    ) -> None:
        self._settings = settings
        self.token_url = token_url
        self._clock = clock
        self._retry = retry
        self._token: Token | None = None

    def __repr__(self) -> str:
        client_id = self._settings.client_id
        return f"TrestleAuth(token_url={str(self.token_url)!r}, client_id={client_id!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token
        if token is None or self._clock() >= token.refresh_at:
            self._token = None
            token = yield from self._fetch()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code != 401:
            return
        # The token expired or was revoked early: one fresh token, one more try.
        self._token = None
        token = yield from self._fetch()
        request.headers["Authorization"] = f"Bearer {token.value}"
        yield request

    def redact(self, text: str) -> str:
        """Remove the secret and the current token from text that came from the server."""
        current = self._token.value if self._token is not None else None
        for secret in (self._settings.client_secret.get_secret_value(), current):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _fetch(self) -> Generator[httpx.Request, httpx.Response, Token]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret.get_secret_value(),
            "scope": self._settings.scope,
        }
        issued_at = self._clock()
        response = yield httpx.Request(
            "POST", self.token_url, data=form, headers={"Accept": "application/json"}
        )
        status = response.status_code
        if status == 200:
            token = self._token_from(response.content, issued_at=issued_at)
            if token is None:
                raise RetryableError("truncated or invalid token response")
            self._token = token
            return token
        failure = self._retry.failure_for_status(
            status, response.headers, where="the token request"
        )
        if failure is not None:
            raise failure
        code, message = oauth_error(response)
        raise AuthError(
            self.redact(
                f"Trestle token request for client_id {self._settings.client_id!r} "
                f"rejected ({status} {code or ''}{': ' + message if message else ''})"
            )
        )

    def _token_from(self, content: bytes, *, issued_at: float) -> Token | None:
        body = parse_json(content)
        if not isinstance(body, dict):
            return None
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            return None
        ttl = body.get("expires_in", DEFAULT_TOKEN_TTL_SECONDS)
        try:
            ttl_seconds = float(ttl)
        except (TypeError, ValueError):
            ttl_seconds = DEFAULT_TOKEN_TTL_SECONDS
        # A token shorter-lived than the margin is still used for half its life.
        margin = min(self._settings.token_refresh_margin_seconds, ttl_seconds / 2)
        return Token(value=value, refresh_at=issued_at + ttl_seconds - margin)
