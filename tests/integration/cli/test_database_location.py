"""The default database does not follow the current directory: run from anywhere, `wonder` uses
the checkout's var/wonder.db and creates nothing where it stands."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.integration.cli.wonder_process import ROOT, run_wonder


def fake_checkout(tmp_path: Path) -> Path:
    """A source checkout of this code (its own var/), so the test never touches the real one."""
    checkout = tmp_path / "checkout"
    shutil.copytree(
        ROOT / "wonder", checkout / "wonder", ignore=shutil.ignore_patterns("__pycache__")
    )
    (checkout / "pyproject.toml").write_text('[project]\nname = "wonder-street"\n')
    return checkout


def test_from_another_directory_the_commands_use_the_checkouts_database(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = checkout / "var" / "wonder.db"

    before = run_wonder("tokens", "list", cwd=elsewhere, code_root=checkout)
    assert before.returncode == 2
    assert before.stderr_lines == [
        f"error: the database sqlite:///{database} is not migrated: run `wonder migrate`"
    ]
    assert not database.exists()

    migrated = run_wonder("migrate", cwd=elsewhere, code_root=checkout)
    assert migrated.returncode == 0, migrated.stderr
    assert database.exists()
    created = run_wonder(
        "tokens",
        "create",
        "reporting",
        "--scopes",
        "listings:read",
        cwd=checkout,
        code_root=checkout,
    )
    assert created.returncode == 0, created.stderr

    listed = run_wonder("tokens", "list", cwd=elsewhere, code_root=checkout)
    assert listed.returncode == 0, listed.stderr
    assert "reporting" in listed.stdout
    assert sorted(p.name for p in elsewhere.iterdir()) == []


def test_help_names_the_database_in_effect_and_how_to_change_it(tmp_path: Path) -> None:
    default = run_wonder("--help", cwd=tmp_path)
    assert default.returncode == 0
    assert f"database: sqlite:///{ROOT}/var/wonder.db" in default.stdout
    assert f"the default: var/ of the source checkout {ROOT}" in default.stdout
    assert "WONDER_DATABASE_URL" in default.stdout

    chosen = run_wonder(
        "--help", cwd=tmp_path, env={"WONDER_DATABASE_URL": "postgresql://u:secret@db.example/w"}
    )
    assert "database: postgresql://u:***@db.example/w" in chosen.stdout
    assert "set by WONDER_DATABASE_URL" in chosen.stdout
    assert "secret" not in chosen.stdout
    assert not (tmp_path / "var").exists()


def test_a_relative_sqlite_url_is_relative_to_the_current_directory(tmp_path: Path) -> None:
    migrated = run_wonder("migrate", cwd=tmp_path, env={"WONDER_DATABASE_URL": "sqlite:///here.db"})
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "here.db").exists()
    listed = run_wonder(
        "tokens", "list", cwd=tmp_path, env={"WONDER_DATABASE_URL": "sqlite:///here.db"}
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "no tokens"
