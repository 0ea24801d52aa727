"""Webhook test helpers: Buildium-signed deliveries, a Google-style signing key with its certs
served on loopback, and the receiver running on uvicorn (port 0) over a test database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from wonder.db.engine import normalize_async_url
from wonder.db.models.webhooks import WebhookInboxEvent
from wonder.sandbox.server import RunningServer, serve_in_thread
from wonder.sandbox.webhooks.signing import buildium_signer
from wonder.webhooks.app import create_app
from wonder.webhooks.buildium import BuildiumSource
from wonder.webhooks.gmail import CachingCertsRequest, GmailPushSource
from wonder.webhooks.ports import WebhookSource

SECRET = "current-buildium-secret"
PREVIOUS_SECRET = "previous-buildium-secret"
AUDIENCE = "https://hooks.example.test/webhooks/gmail"
PUSH_ACCOUNT = "gmail-push@wonder-test.iam.gserviceaccount.com"
KEY_ID = "test-key-1"
MAX_BODY = 4096


def compact(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def lease_event(lease_id: int = 7, when: str = "2026-12-02T05:00:00Z", **extra: Any) -> bytes:
    return compact(
        {
            "EventName": "Lease.Updated",
            "EventDateTime": when,
            "AccountId": 1,
            "LeaseId": lease_id,
            **extra,
        }
    )


def signed_headers(
    body: bytes, *, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """What the sandbox's Buildium signer sends (the one signing computation)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {**buildium_signer(secret)(body, stamp), "content-type": "application/json"}


# -- Google-style OIDC signing ------------------------------------------------------------


@dataclass
class SigningKey:
    private_pem: bytes
    cert_pem: str
    key_id: str = KEY_ID

    @classmethod
    def generate(cls, key_id: str = KEY_ID) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wonder-test-signer")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(private, cert.public_bytes(serialization.Encoding.PEM).decode(), key_id)

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://accounts.google.com",
            "aud": AUDIENCE,
            "email": PUSH_ACCOUNT,
            "email_verified": True,
            "sub": "1234567890",
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        signer = crypt.RSASigner.from_string(self.private_pem, key_id=self.key_id)  # type: ignore[no-untyped-call]
        token: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
        return token.decode()


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def certs_server(signing_key: SigningKey) -> Iterator[RunningServer]:
    """Google's ``/oauth2/v1/certs`` format: ``{kid: PEM certificate}``."""

    async def certs(request: Request) -> JSONResponse:
        return JSONResponse({signing_key.key_id: signing_key.cert_pem})

    app = Starlette(routes=[Route("/oauth2/v1/certs", certs)])
    with serve_in_thread(app) as server:
        yield server


def push_body(
    mailbox: str = "ops@wonder.test", history_id: int = 1001, message_id: str = "m-1"
) -> bytes:
    import base64

    data = base64.urlsafe_b64encode(compact({"emailAddress": mailbox, "historyId": history_id}))
    return compact(
        {
            "message": {
                "data": data.decode().rstrip("="),
                "messageId": message_id,
                "publishTime": "2026-12-02T05:00:00.000Z",
            },
            "subscription": "projects/wonder/subscriptions/gmail-push",
        }
    )


# -- the receiver ---------------------------------------------------------------------------


@dataclass
class RecordingSink:
    emitted: list[tuple[str, str, int]] = field(default_factory=list)
    fail: bool = False

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None:
        if self.fail:
            raise RuntimeError("events API down")
        self.emitted.append((source, entity_key, inbox_id))


class SlowCommitSession(AsyncSession):
    """Commits 0.3 s late: a receiver that answered before its commit is caught out."""

    async def commit(self) -> None:
        await asyncio.sleep(0.3)
        await super().commit()


def nullpool_async_engine(url: str) -> AsyncEngine:
    """NullPool: no connection outlives the server thread's event loop."""
    return sa_create_async_engine(normalize_async_url(url), poolclass=NullPool)


@dataclass
class Receiver:
    server: RunningServer
    sink: RecordingSink
    engine: Engine

    @property
    def url(self) -> str:
        return self.server.base_url

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url + path, content=body, headers=headers, timeout=10)

    def rows(self) -> list[WebhookInboxEvent]:
        from sqlalchemy.orm import Session

        with Session(self.engine) as session:
            return list(session.scalars(select(WebhookInboxEvent).order_by(WebhookInboxEvent.id)))


def default_sources(certs_url: str, request: CachingCertsRequest) -> list[WebhookSource]:
    return [
        BuildiumSource([SECRET, PREVIOUS_SECRET]),
        GmailPushSource(
            audience=AUDIENCE,
            service_account_email=PUSH_ACCOUNT,
            certs_url=certs_url,
            request=request,
        ),
    ]


@pytest.fixture
def start_receiver(
    engine: Engine, certs_server: RunningServer
) -> Iterator[Callable[..., Receiver]]:
    started: list[tuple[RunningServer, AsyncEngine]] = []
    certs_url = certs_server.base_url + "/oauth2/v1/certs"
    certs_request = CachingCertsRequest(300)

    def start(
        *,
        sources: Sequence[WebhookSource] | None = None,
        sink: RecordingSink | None = None,
        session_class: type[AsyncSession] = AsyncSession,
    ) -> Receiver:
        url = engine.url.render_as_string(hide_password=False)
        async_engine = nullpool_async_engine(url)
        sink = sink or RecordingSink()
        app = create_app(
            sources=list(sources)
            if sources is not None
            else default_sources(certs_url, certs_request),
            sessions=async_sessionmaker(async_engine, expire_on_commit=False, class_=session_class),
            sink=sink,
            max_body_bytes=MAX_BODY,
        )
        server = serve_in_thread(app)
        started.append((server, async_engine))
        return Receiver(server, sink, engine)

    yield start
    for server, async_engine in started:
        server.stop()
        asyncio.run(async_engine.dispose())
    certs_request.close()
