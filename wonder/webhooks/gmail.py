"""``POST /webhooks/gmail``: a Pub/Sub push with ``Authorization: Bearer <OIDC JWT>`` (RS256,
issuer accounts.google.com, our audience, the push service account's email, not expired), whose
``message.data`` is base64url JSON ``{"emailAddress", "historyId"}`` (API-FACTS).

The token is checked by google-auth (``id_token.verify_token``) against the configured certs
URL (Google's ``{kid: PEM certificate}`` format; a JWKS needs the ``pyjwt`` package); the
issuer and email are checked here. Certs are fetched in a worker thread and cached.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson
from google.auth import exceptions as google_exceptions
from google.auth import transport
from google.oauth2 import id_token

from wonder.webhooks.ports import Rejected, VerifiedEvent

SOURCE = "gmail"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})


class _Response(transport.Response):
    def __init__(self, status: int, headers: Mapping[str, str], data: bytes) -> None:
        self._status, self._headers, self._data = status, dict(headers), data

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def data(self) -> bytes:
        return self._data


class CachingCertsRequest(transport.Request):
    """google-auth's HTTP seam, over httpx, remembering successful GETs for ``ttl`` seconds so
    a push does not cost a certs fetch (Google rotates its keys rarely)."""

    def __init__(
        self, ttl: float = 300.0, *, client: httpx.Client | None = None, timeout: float = 10.0
    ) -> None:
        self._ttl = ttl
        self._client = client or httpx.Client(timeout=timeout)
        self._cache: dict[str, tuple[float, _Response]] = {}
        self._lock = threading.Lock()

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> transport.Response:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(url) if method == "GET" else None
            if cached is not None and now - cached[0] < self._ttl:
                return cached[1]
        try:
            answer = self._client.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as error:
            failure = google_exceptions.TransportError(type(error).__name__)  # type: ignore[no-untyped-call]
            raise failure from None
        response = _Response(answer.status_code, answer.headers, answer.content)
        if method == "GET" and answer.status_code == 200:
            with self._lock:
                self._cache[url] = (now, response)
        return response

    def close(self) -> None:
        self._client.close()


class GmailPushSource:
    name = SOURCE

    def __init__(
        self,
        *,
        audience: str,
        service_account_email: str,
        certs_url: str,
        allowed_skew_seconds: int = 300,
        request: transport.Request | None = None,
        to_thread: Callable[..., Any] = asyncio.to_thread,
    ) -> None:
        self._audience = audience
        self._email = service_account_email
        self._certs_url = certs_url
        self._skew = allowed_skew_seconds
        self._request = request or CachingCertsRequest()
        self._to_thread = to_thread

    def close(self) -> None:
        close = getattr(self._request, "close", None)
        if callable(close):
            close()

    async def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedEvent:
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Rejected(401, "missing bearer token")
        claims = await self._to_thread(self._claims, token.strip())
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise Rejected(401, "token issuer is not Google")
        if claims.get("email") != self._email or claims.get("email_verified") is False:
            raise Rejected(401, "token is not the push service account's")
        return parse_push(body)

    def _claims(self, token: str) -> Mapping[str, Any]:
        try:
            claims = id_token.verify_token(
                token,
                self._request,
                audience=self._audience,
                certs_url=self._certs_url,
                clock_skew_in_seconds=self._skew,
            )
        except google_exceptions.TransportError:
            raise Rejected(503, "signing keys unavailable") from None
        except (ValueError, google_exceptions.GoogleAuthError):
            # Bad signature, expired, wrong audience, malformed: one answer, no detail echoed.
            raise Rejected(401, "token refused") from None
        return claims


def parse_push(body: bytes) -> VerifiedEvent:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Rejected(400, "body is not JSON") from None
    message = envelope.get("message") if isinstance(envelope, dict) else None
    if not isinstance(message, dict):
        raise Rejected(400, "no message")
    message_id, data = message.get("messageId"), message.get("data")
    if not isinstance(message_id, str) or not message_id or not isinstance(data, str):
        raise Rejected(400, "message needs messageId and data")
    try:
        padded = data + "=" * (-len(data) % 4)
        notification = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, orjson.JSONDecodeError, UnicodeEncodeError):
        raise Rejected(400, "message data is not base64url JSON") from None
    if not isinstance(notification, dict):
        raise Rejected(400, "message data is not a JSON object")
    mailbox, history = notification.get("emailAddress"), notification.get("historyId")
    if not isinstance(mailbox, str) or not mailbox or len(mailbox) > 320:
        raise Rejected(400, "emailAddress is required")
    history_id = _history_id(history)
    return VerifiedEvent(
        source=SOURCE,
        dedupe_key=f"{SOURCE}:{message_id}"[:255],
        entity_key=f"mailbox.{mailbox.lower()}",
        payload={
            "emailAddress": mailbox,
            "historyId": history_id,
            "messageId": message_id,
            "publishTime": message.get("publishTime"),
            "subscription": envelope.get("subscription"),
        },
        mailbox=mailbox.lower(),
        history_id=history_id,
    )


def _history_id(value: Any) -> int:
    if isinstance(value, bool):
        raise Rejected(400, "historyId is not a number")
    try:
        history_id = int(value)
    except (TypeError, ValueError):
        raise Rejected(400, "historyId is not a number") from None
    if not 0 < history_id < 2**63:
        raise Rejected(400, "historyId out of range")
    return history_id
