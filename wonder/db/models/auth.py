"""The API's own tables: consumers' bearer tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.types import BigId, UTCDateTime


class ApiToken(Base):
    """A consumer's bearer token for the gRPC API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, to recognise it in a listing without revealing it.
    token_prefix: Mapped[str] = mapped_column(String(16))
    # Space-separated scopes, e.g. "listings:read sync:read".
    scopes: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
