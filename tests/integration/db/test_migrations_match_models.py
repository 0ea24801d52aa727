"""The migrations build exactly the schema the models declare (no drift), on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from wonder.db import models  # noqa: F401  (registers every table)
from wonder.db.base import Base


def test_migrated_schema_equals_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, Base.metadata)
    # alembic_version is Alembic's own table, not a model.
    drift = [d for d in differences if "alembic_version" not in repr(d)]
    assert drift == [], "models and migrations differ (write a migration):\n" + "\n".join(
        map(repr, drift)
    )
