"""API tokens in the ``api_tokens`` table: create, list, revoke, verify.

Functions take a session and never commit: the caller's unit of work does. The synchronous
functions serve the CLI; ``lookup_principal_async`` is the server's hot-path twin of
``verify_token``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wonder.auth.principal import Principal
from wonder.auth.scopes import format_scopes, parse_scopes, scopes_from_column
from wonder.auth.tokens import display_prefix, generate_token, hash_token, is_well_formed
from wonder.db.models import ApiToken

# last_used_at is refreshed at most this often per token (it costs a write).
TOUCH_INTERVAL = timedelta(minutes=1)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class TokenError(Exception):
    """A token operation that cannot be done as asked."""


class TokenNameTakenError(TokenError):
    pass


class TokenNotFoundError(TokenError):
    pass


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What can be shown about a token: never the token, never its hash."""

    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly created token: ``token`` is shown to the user once and never stored."""

    token: str
    info: TokenInfo


def validate_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise TokenError(
            "token name must be 1-128 characters of letters, digits, '.', '_' or '-'"
            " and start with a letter or digit"
        )
    return name


def create_token(
    session: Session, name: str, scopes: str | frozenset[str], now: datetime
) -> IssuedToken:
    """Issue a token for consumer ``name``; the name must be new (revoked names stay taken)."""
    validate_name(name)
    granted = parse_scopes(scopes)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenNameTakenError(f"a token named {name!r} already exists")
    token = generate_token()
    row = ApiToken(
        name=name,
        token_hash=hash_token(token),
        token_prefix=display_prefix(token),
        scopes=format_scopes(granted),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return IssuedToken(token=token, info=_info(row))


def list_tokens(session: Session) -> list[TokenInfo]:
    rows = session.scalars(select(ApiToken).order_by(ApiToken.name))
    return [_info(row) for row in rows]


def revoke_token(session: Session, name: str, now: datetime) -> TokenInfo:
    """Revoke by name (idempotent: revoking twice keeps the first time)."""
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise TokenNotFoundError(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return _info(row)


def verify_token(session: Session, token: str, now: datetime) -> Principal | None:
    """The principal of an active token, else None; refreshes last_used_at at most once a minute."""
    if not is_well_formed(token):
        return None
    row = session.scalar(_active_by_hash(hash_token(token)))
    if row is None:
        return None
    if should_touch(row.last_used_at, now):
        session.execute(_touch(row.id, now))
    return Principal(name=row.name, scopes=scopes_from_column(row.scopes))


async def lookup_principal_async(
    session: AsyncSession, token_hash: str, now: datetime
) -> Principal | None:
    """``verify_token`` for an already hashed, well-formed token, on an async session."""
    row = await session.scalar(_active_by_hash(token_hash))
    if row is None:
        return None
    if should_touch(row.last_used_at, now):
        await session.execute(_touch(row.id, now))
    return Principal(name=row.name, scopes=scopes_from_column(row.scopes))


def should_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= TOUCH_INTERVAL


def _active_by_hash(token_hash: str) -> Select[ApiToken]:
    return select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))


def _touch(token_id: int, now: datetime) -> Update:
    return update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        prefix=row.token_prefix,
        scopes=scopes_from_column(row.scopes),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
