"""Pub/Sub push for ``users.watch``: notification bodies, the OIDC JWT that signs them, and the
keys a receiver verifies them with.

A notification is ``{"message": {"data": base64url(JSON {"emailAddress", "historyId"}),
"messageId", "publishTime"}, "subscription"}`` posted with ``Authorization: Bearer <JWT>``:
RS256, ``iss`` https://accounts.google.com, ``aud`` the configured audience (the endpoint URL
by default), ``email`` the push service account, ``email_verified``, ``iat``/``exp`` (one hour).
The sandbox's public key is served as Google serves its own: PEM certificates by key id
(``/oauth2/v1/certs``, what ``google.oauth2.id_token.verify_token(certs_url=...)`` reads) and a
JWKS (``/oauth2/v3/certs``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from wonder.sandbox.webhooks.signing import Signer

ISSUER = "https://accounts.google.com"
TOKEN_LIFETIME_SECONDS = 3_600
PEM_CERTS_PATH = "/oauth2/v1/certs"
JWKS_PATH = "/oauth2/v3/certs"


def _b64url_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PushKey:
    key_id: str
    private_pem: bytes
    certificate_pem: str
    public_numbers: rsa.RSAPublicNumbers

    @classmethod
    def generate(cls, key_id: str = "sandbox-push-1") -> PushKey:
        key = rsa.generate_private_key(public_exponent=65_537, key_size=2_048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wonder-gmail-sandbox")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        return cls(
            key_id,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            key.public_key().public_numbers(),
        )

    def pem_certs(self) -> dict[str, str]:
        return {self.key_id: self.certificate_pem}

    def jwks(self) -> dict[str, Any]:
        numbers = self.public_numbers
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "kid": self.key_id,
                    "n": _b64url_int(numbers.n),
                    "e": _b64url_int(numbers.e),
                }
            ]
        }

    def token(self, audience: str, email: str, issued_at: int, **overrides: Any) -> str:
        """A push JWT; ``overrides`` replace claims (tests forge expired or foreign tokens)."""
        signer = crypt.RSASigner.from_string(self.private_pem, self.key_id)  # type: ignore[no-untyped-call]
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": audience,
            "azp": "wonder-sandbox-push",
            "sub": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),
            "email": email,
            "email_verified": True,
            "iat": issued_at,
            "exp": issued_at + TOKEN_LIFETIME_SECONDS,
        }
        claims.update(overrides)
        token: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
        return token.decode("ascii")


def push_signer(key: PushKey, audience: str, email: str) -> Signer:
    def sign(body: bytes, timestamp: int) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {key.token(audience, email, timestamp)}",
            "Content-Type": "application/json",
        }

    return sign


def notification(
    mailbox: str, history_id: int, message_id: str, publish_time: str, subscription: str
) -> bytes:
    data = orjson.dumps({"emailAddress": mailbox, "historyId": history_id})
    return orjson.dumps(
        {
            "message": {
                "data": base64.urlsafe_b64encode(data).decode("ascii"),
                "messageId": message_id,
                "message_id": message_id,
                "publishTime": publish_time,
                "publish_time": publish_time,
            },
            "subscription": subscription,
        }
    )
