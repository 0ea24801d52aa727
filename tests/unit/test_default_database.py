"""Where the default database lives: the source checkout's var/, else the user data directory;
never relative to the current directory. A URL the user gives is taken as written."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from wonder import settings as settings_module
from wonder.settings import Settings, default_database_path, default_database_url, source_checkout

ROOT = Path(__file__).resolve().parents[2]


def test_in_a_source_checkout_the_default_is_its_var_directory(tmp_path: Path) -> None:
    (tmp_path / "wonder").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert source_checkout(tmp_path / "wonder") == tmp_path
    assert default_database_path(tmp_path / "wonder") == tmp_path / "var" / "wonder.db"


def test_installed_as_a_package_the_default_is_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_packages = tmp_path / "site-packages"
    (site_packages / "wonder").mkdir(parents=True)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda name: str(tmp_path / "data" / name))
    assert source_checkout(site_packages / "wonder") is None
    assert default_database_path(site_packages / "wonder") == (
        tmp_path / "data" / "wonder-street" / "wonder.db"
    )


def test_this_checkout_uses_its_own_var_whatever_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_database_url() == f"sqlite:///{ROOT}/var/wonder.db"
    assert Settings().database_url == f"sqlite:///{ROOT}/var/wonder.db"
    assert Path(settings_module.__file__).resolve().parent.parent == ROOT


def test_a_database_url_from_the_environment_is_taken_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WONDER_DATABASE_URL", "sqlite:///relative/wonder.db")
    assert Settings().database_url == "sqlite:///relative/wonder.db"
