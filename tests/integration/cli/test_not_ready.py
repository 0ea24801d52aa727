"""Every command that needs the database, on one that is not migrated or not reachable: one line
naming the URL and the fix, exit status 2, no traceback, nothing created. Likewise a busy port
for `wonder serve`."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.wonder_process import run_wonder
from wonder.db.migrate import upgrade

# Every command that reads or writes the database (migrate creates it, so it is not here).
NEEDS_DATABASE = [
    ("tokens", "list"),
    ("tokens", "create", "reporting", "--scopes", "listings:read"),
    ("tokens", "revoke", "reporting"),
    ("listings", "first-load"),
    ("listings", "incremental"),
    ("listings", "census"),
    ("listings", "quarantine", "list"),
    ("listings", "deletes", "list"),
    ("listings", "deletes", "approve", "1"),
    ("listings", "deletes", "reject", "1"),
    ("status",),
    ("serve", "--port", "0"),
]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("argv", NEEDS_DATABASE, ids=" ".join)
def test_an_unmigrated_database_is_one_line_and_exit_2(tmp_path: Path, argv: tuple[str]) -> None:
    path = tmp_path / "var" / "wonder.db"
    url = f"sqlite:///{path}"
    result = run_wonder(*argv, cwd=tmp_path, env={"WONDER_DATABASE_URL": url})
    assert result.returncode == 2
    assert result.stderr_lines == [
        f"error: the database {url} is not migrated: run `wonder migrate`"
    ]
    assert not path.parent.exists()


def test_a_database_without_our_tables_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    result = run_wonder("tokens", "list", cwd=tmp_path, env={"WONDER_DATABASE_URL": url})
    assert (result.returncode, result.stderr_lines) == (
        2,
        [f"error: the database {url} is not migrated: run `wonder migrate`"],
    )


@pytest.mark.parametrize(
    "argv", [("tokens", "list"), ("status",), ("serve", "--port", "0"), ("migrate",)], ids=" ".join
)
def test_an_unreachable_postgres_is_one_line_and_exit_2(tmp_path: Path, argv: tuple[str]) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://wonder:hunter2@127.0.0.1:{port}/wonder"
    result = run_wonder(*argv, cwd=tmp_path, env={"WONDER_DATABASE_URL": url})
    assert result.returncode == 2
    [line] = result.stderr_lines
    assert line.startswith(
        f"error: the database postgresql+psycopg://wonder:***@127.0.0.1:{port}/wonder"
        " is unreachable ("
    )
    assert line.endswith("check WONDER_DATABASE_URL and that its server is running")
    assert "hunter2" not in result.stderr + result.stdout


def test_status_json_says_what_is_wrong_on_stdout_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    result = run_wonder("status", "--json", cwd=tmp_path, env={"WONDER_DATABASE_URL": url})
    assert result.returncode == 2
    assert '"state": "not migrated"' in result.stdout
    assert len(result.stderr_lines) == 1


def test_serve_on_a_busy_port_is_one_line_naming_the_port_and_the_setting(
    tmp_path: Path, listening_port: int
) -> None:
    url = f"sqlite:///{tmp_path / 'wonder.db'}"
    upgrade(url)
    result = run_wonder(
        "serve", "--port", str(listening_port), cwd=tmp_path, env={"WONDER_DATABASE_URL": url}
    )
    assert result.returncode == 2
    assert result.stderr_lines == [
        f"error: cannot serve on 127.0.0.1:{listening_port}: the port is in use; stop what"
        " listens there, or choose another port (WONDER_GRPC__PORT, or wonder serve --port)"
    ]
