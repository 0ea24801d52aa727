"""check_database: ready, unreachable or not migrated, in one line naming the URL and the fix;
never creating a database that is not there."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from wonder.db.migrate import current_head, upgrade
from wonder.db.readiness import DatabaseNotReady, DatabaseState, check_database, require_ready


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_missing_sqlite_file_is_not_migrated_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "wonder.db"
    readiness = check_database(f"sqlite:///{path}")
    assert readiness.state is DatabaseState.NOT_MIGRATED
    assert readiness.current is None
    assert readiness.head == current_head()
    assert readiness.problem() == (
        f"the database sqlite:///{path} is not migrated: run `wonder migrate`"
    )
    assert not path.exists()
    assert not path.parent.exists()


def test_an_empty_database_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    readiness = check_database(f"sqlite:///{path}")
    assert readiness.state is DatabaseState.NOT_MIGRATED
    assert readiness.describe() == f"not migrated (revision none, head {current_head()})"


def test_a_database_behind_the_head_says_both_revisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    readiness = check_database(url)
    assert readiness.state is DatabaseState.NOT_MIGRATED
    assert readiness.problem() == (
        f"the database {url} is not migrated (revision 0001, head {current_head()}):"
        " run `wonder migrate`"
    )
    upgrade(url)
    ready = require_ready(url)
    assert ready.ready
    assert ready.describe() == f"ready (revision {current_head()})"


def test_a_revision_this_code_does_not_know_is_not_a_migrate_away(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    readiness = check_database(f"sqlite:///{path}")
    assert readiness.state is DatabaseState.NOT_MIGRATED
    assert not readiness.known_revision
    assert "revision 9999, which this version of wonder does not know" in readiness.problem()


def test_a_file_that_is_no_database_is_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database " * 100)
    readiness = check_database(f"sqlite:///{path}")
    assert readiness.state is DatabaseState.UNREACHABLE
    assert readiness.problem() == (
        f"the database sqlite:///{path} is unreachable (file is not a database):"
        " check WONDER_DATABASE_URL"
    )


def test_a_closed_postgres_port_is_unreachable_in_one_line_without_the_password() -> None:
    url = f"postgresql://wonder:hunter2@127.0.0.1:{closed_port()}/wonder"
    with pytest.raises(DatabaseNotReady) as raised:
        require_ready(url)
    message = str(raised.value)
    assert raised.value.readiness.state is DatabaseState.UNREACHABLE
    assert message.startswith(
        f"the database postgresql://wonder:***@{url.split('@')[1]} is unreachable ("
    )
    assert "Connection refused" in message
    assert message.endswith("check WONDER_DATABASE_URL and that its server is running")
    assert "\n" not in message
    assert "hunter2" not in message
