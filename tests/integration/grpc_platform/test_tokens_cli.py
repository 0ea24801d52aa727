"""`wonder tokens create|list|revoke` against a real database: the token is printed once."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wonder.auth import cli as tokens_cli
from wonder.auth.store import verify_token
from wonder.auth.tokens import hash_token, is_well_formed
from wonder.db.models import ApiToken
from wonder.settings import Settings


def run(database_url: str, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wonder")
    tokens_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["tokens", *argv])
    result: int = args.handler(Settings(database_url=database_url), args)
    return result


def test_create_prints_the_token_once_and_stores_only_its_hash(
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(database_url, "create", "reporting", "--scopes", "listings:read,sync:read") == 0
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1]
    assert is_well_formed(token)

    with sessions() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.name == "reporting"
        assert row.token_hash == hash_token(token)
        assert row.token_prefix == token[:10]
        assert row.scopes == "listings:read sync:read"
        stored = [str(v) for v in (row.name, row.token_hash, row.token_prefix, row.scopes)]
        assert token not in stored
        principal = verify_token(session, token, datetime.now(UTC))
    assert principal is not None
    assert principal.scopes == {"listings:read", "sync:read"}

    assert run(database_url, "list") == 0
    listing = capsys.readouterr().out
    assert "reporting" in listing
    assert "active" in listing
    assert token[:10] in listing
    assert token not in listing


def test_unknown_scope_and_duplicate_name_are_refused(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(database_url, "create", "reporting", "--scopes", "listings:write") == 2
    assert "unknown scope(s): listings:write" in capsys.readouterr().err
    assert run(database_url, "create", "reporting", "--scopes", "listings:read") == 0
    assert run(database_url, "create", "reporting", "--scopes", "listings:read") == 2
    assert "already exists" in capsys.readouterr().err


def test_revoke_stops_verification(
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(database_url, "create", "leaver", "--scopes", "messages:read")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert run(database_url, "revoke", "leaver") == 0
    assert run(database_url, "revoke", "nobody") == 1
    with sessions() as session:
        assert verify_token(session, token, datetime.now(UTC)) is None
    run(database_url, "list")
    assert "revoked" in capsys.readouterr().out
