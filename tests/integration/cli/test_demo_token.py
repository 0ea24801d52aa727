"""Demo tokens do not pile up: each demo start replaces the one `demo` token, so exactly one is
active and the previous demo's stops verifying."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from devstack.platform import DEMO_TOKEN_NAME, DemoConfig, create_demo_token
from tests.integration.cli.wonder_process import ROOT, run_wonder
from wonder.auth.store import verify_token
from wonder.db.models import ApiToken
from wonder.settings import Settings

# The CLI of this checkout (the virtualenv's `wonder` script may be another checkout's).
WONDER = [sys.executable, "-m", "wonder.cli"]


def test_two_demo_starts_leave_one_active_demo_token(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    config = DemoConfig(
        root=ROOT, settings=Settings(database_url=database_url), var_dir=tmp_path / "var"
    )
    env = {**config.env(), "PYTHONPATH": str(ROOT)}

    first = create_demo_token(config, env, wonder=WONDER)
    second = create_demo_token(config, env, wonder=WONDER)

    assert first != second
    with sessions() as session:
        rows = session.scalars(select(ApiToken)).all()
        assert [(row.name, row.revoked_at) for row in rows] == [(DEMO_TOKEN_NAME, None)]
        now = datetime.now(UTC)
        assert verify_token(session, first, now) is None
        principal = verify_token(session, second, now)
    assert principal is not None
    assert principal.name == DEMO_TOKEN_NAME
    assert principal.scopes == {"listings:read", "sync:read", "messages:read"}
    assert first not in (config.logs / "token.log").read_text()


def test_replace_keeps_the_old_token_when_the_new_one_is_refused(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    config = DemoConfig(
        root=ROOT, settings=Settings(database_url=database_url), var_dir=tmp_path / "var"
    )
    env = {**config.env(), "PYTHONPATH": str(ROOT)}
    token = create_demo_token(config, env, wonder=WONDER)
    refused = run_wonder(
        *("tokens", "create", DEMO_TOKEN_NAME, "--scopes", "listings:write", "--replace"),
        cwd=tmp_path,
        env={"WONDER_DATABASE_URL": database_url},
    )
    assert refused.returncode == 2
    assert "unknown scope(s): listings:write" in refused.stderr
    with sessions() as session:
        assert verify_token(session, token, datetime.now(UTC)) is not None
