"""The flows' edge refuses an unmigrated database at once, with the same one line as the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.edge import database
from wonder.db.migrate import upgrade
from wonder.db.readiness import DatabaseNotReady
from wonder.settings import Settings


def test_database_refuses_an_unmigrated_database_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "var" / "wonder.db"
    url = f"sqlite:///{path}"
    with pytest.raises(DatabaseNotReady) as raised, database(Settings(database_url=url)):
        pytest.fail("the block must not run")
    assert str(raised.value) == f"the database {url} is not migrated: run `wonder migrate`"
    assert not path.parent.exists()


def test_database_opens_a_migrated_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wonder.db'}"
    upgrade(url)
    with database(Settings(database_url=url)) as sessions, sessions() as session:
        assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
