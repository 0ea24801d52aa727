"""`wonder tokens create|list|revoke`: API tokens for the gRPC query API.

``create --replace`` issues a fresh token under a name already taken, revoking (deleting) the
old one: the demo uses it so demo tokens never pile up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wonder.auth.scopes import KNOWN_SCOPES
from wonder.db.cli import requires_database
from wonder.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


# The scopes some gRPC method checks today (a test compares this with the servicers); the rest of
# KNOWN_SCOPES are accepted ahead of the slices that will check them.
SCOPES_IN_USE: frozenset[str] = frozenset(
    {"listings:read", "messages:label", "messages:read", "sync:read", "sync:write"}
)


def scopes_help() -> str:
    coming = sorted(KNOWN_SCOPES - SCOPES_IN_USE)
    text = f"comma-separated; checked by today's API: {', '.join(sorted(SCOPES_IN_USE))}"
    if coming:
        text += f"; accepted for slices still to come (none checks them yet): {', '.join(coming)}"
    return text


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tokens", help="create, list and revoke API tokens for the gRPC query API"
    )
    actions = parser.add_subparsers(dest="tokens_action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="issue a token for a consumer (shown once)")
    create.add_argument("name", help="consumer name, e.g. reporting-service")
    create.add_argument("--scopes", required=True, help=scopes_help())
    create.add_argument(
        "--replace",
        action="store_true",
        help="if a token of this name exists, revoke it (it is deleted) and issue a fresh one",
    )
    create.set_defaults(handler=_create)

    listing = actions.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.set_defaults(handler=_list)

    revoke = actions.add_parser("revoke", help="revoke a consumer's token")
    revoke.add_argument("name", help="the token's consumer name (see `wonder tokens list`)")
    revoke.set_defaults(handler=_revoke)


@requires_database
def _create(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.auth.cache import DEFAULT_TTL_SECONDS
    from wonder.auth.store import TokenError, create_token

    replaced = False
    try:
        # One transaction: a refused name or scope rolls the replacement back.
        with _unit_of_work(settings) as session:
            if args.replace:
                replaced = _delete_token(session, args.name)
            issued = create_token(session, args.name, args.scopes, datetime.now(UTC))
    except (TokenError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if replaced:
        print(
            f"revoked the previous token {args.name!r}; running servers stop accepting it within"
            f" {DEFAULT_TTL_SECONDS:g} s (their verification cache TTL)"
        )
    scopes = ",".join(sorted(issued.info.scopes))
    print(f"created token {issued.info.name!r} with scopes {scopes}")
    print("store it now; it cannot be shown again:")
    print(issued.token)
    return 0


@requires_database
def _list(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.auth.store import list_tokens

    with _unit_of_work(settings) as session:
        tokens = list_tokens(session)
    if not tokens:
        print("no tokens")
        return 0
    print(f"{'NAME':<28} {'PREFIX':<12} {'STATUS':<8} {'CREATED':<20} {'LAST USED':<20} SCOPES")
    for info in tokens:
        status = "active" if info.active else "revoked"
        print(
            f"{info.name:<28} {info.prefix + '…':<12} {status:<8} {_when(info.created_at):<20}"
            f" {_when(info.last_used_at):<20} {','.join(sorted(info.scopes))}"
        )
    return 0


@requires_database
def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.auth.cache import DEFAULT_TTL_SECONDS
    from wonder.auth.store import TokenNotFoundError, revoke_token

    with _unit_of_work(settings) as session:
        try:
            revoke_token(session, args.name, datetime.now(UTC))
        except TokenNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(
        f"revoked token {args.name!r}; running servers stop accepting it within"
        f" {DEFAULT_TTL_SECONDS:g} s (their verification cache TTL)"
    )
    return 0


def _delete_token(session: Session, name: str) -> bool:
    """Remove the token ``name`` (its secret stops verifying); False if there was none."""
    from sqlalchemy import select

    from wonder.db.models import ApiToken

    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        return False
    session.delete(row)
    session.flush()  # before the new row's INSERT (a flush inserts before it deletes)
    return True


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    """One transaction on a short-lived engine (disposed afterwards)."""
    from wonder.db.engine import make_engine, session_factory
    from wonder.db.uow import unit_of_work

    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
