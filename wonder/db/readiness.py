"""Is the database there and migrated? One answer for every edge: the CLI, the server, the flows.

``check_database(url)`` says *ready*, *unreachable (reason)* or *not migrated (current revision,
head)*, and never creates anything: a SQLite file that does not exist is reported, not made
(connecting to it would create an empty one). ``require_ready(url)`` raises
:class:`DatabaseNotReady` with the one line to show a person: the URL (password hidden) and the
fix. Commands that need the database wrap their handler in ``wonder.db.cli.requires_database``.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from wonder.db.engine import normalize_url

# How long a check waits for a database server to answer a connection.
CONNECT_TIMEOUT_SECONDS = 5
MIGRATE_HINT = "run `wonder migrate`"
VERSION_TABLE = "alembic_version"


class DatabaseState(StrEnum):
    READY = "ready"
    UNREACHABLE = "unreachable"
    NOT_MIGRATED = "not migrated"


@dataclass(frozen=True)
class Readiness:
    """What :func:`check_database` found; ``url`` is for display (password hidden)."""

    url: str
    state: DatabaseState
    reason: str | None = None
    # Alembic revisions: the database's (None: no schema yet) and this code's head.
    current: str | None = None
    head: str | None = None

    @property
    def ready(self) -> bool:
        return self.state is DatabaseState.READY

    @property
    def known_revision(self) -> bool:
        """False when the database is at a revision this code has never heard of (newer code)."""
        return self.current is None or self.current in _revisions()

    def describe(self) -> str:
        """The state in a few words: ``ready (revision 0002)``, ``not migrated (revision none,
        head 0002)``, ``unreachable (connection refused)``."""
        if self.state is DatabaseState.READY:
            return f"ready (revision {self.current})"
        if self.state is DatabaseState.UNREACHABLE:
            return f"unreachable ({self.reason})"
        return f"not migrated (revision {self.current or 'none'}, head {self.head})"

    def problem(self) -> str:
        """One line for a person: what is wrong with which database and what to do."""
        if self.state is DatabaseState.UNREACHABLE:
            server = "" if self.url.startswith("sqlite") else " and that its server is running"
            return (
                f"the database {self.url} is unreachable ({self.reason}):"
                f" check WONDER_DATABASE_URL{server}"
            )
        if self.state is DatabaseState.NOT_MIGRATED:
            if not self.known_revision:
                return (
                    f"the database {self.url} is at revision {self.current}, which this version"
                    f" of wonder does not know (its head is {self.head}): run a newer wonder, or"
                    " set WONDER_DATABASE_URL to another database"
                )
            behind = "" if self.current is None else f" (revision {self.current}, head {self.head})"
            return f"the database {self.url} is not migrated{behind}: {MIGRATE_HINT}"
        return f"the database {self.url} is ready"


class DatabaseNotReady(RuntimeError):
    """The database cannot be used as it is; ``str()`` is the one line to show."""

    def __init__(self, readiness: Readiness) -> None:
        super().__init__(readiness.problem())
        self.readiness = readiness


def display_url(url: str) -> str:
    """The URL as shown to people: its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable database URL)"


def check_database(url: str) -> Readiness:
    """Ready, unreachable or not migrated; creates nothing (not even a missing SQLite file)."""
    shown = display_url(url)
    head = _head()
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as error:
        return Readiness(shown, DatabaseState.UNREACHABLE, f"not a database URL: {error}")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database not in ("", ":memory:") and not Path(database).exists():
            return Readiness(shown, DatabaseState.NOT_MIGRATED, current=None, head=head)
        connect_args: dict[str, object] = {}
    else:
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        current = _current_revision(parsed.render_as_string(hide_password=False), connect_args)
    except (SQLAlchemyError, OSError) as error:
        return Readiness(shown, DatabaseState.UNREACHABLE, _reason(error))
    if current != head:
        return Readiness(shown, DatabaseState.NOT_MIGRATED, current=current, head=head)
    return Readiness(shown, DatabaseState.READY, current=current, head=head)


def require_ready(url: str) -> Readiness:
    """The readiness of ``url``; DatabaseNotReady unless it is ready."""
    readiness = check_database(url)
    if not readiness.ready:
        raise DatabaseNotReady(readiness)
    return readiness


def _current_revision(url: str, connect_args: dict[str, object]) -> str | None:
    """What Alembic's version table says (None: no table, no schema yet)."""
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            heads = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return ",".join(sorted(heads)) or None
    finally:
        engine.dispose()


def _head() -> str | None:
    return _script()[0]


def _revisions() -> frozenset[str]:
    return _script()[1]


@functools.cache
def _script() -> tuple[str | None, frozenset[str]]:
    """This code's head revision and every revision it knows, from the migration scripts."""
    # Importing Alembic logs its plugin setup at INFO: not worth a line of every command.
    alembic_logger = logging.getLogger("alembic")
    level = alembic_logger.level
    alembic_logger.setLevel(logging.WARNING)
    try:
        from alembic.script import ScriptDirectory

        from wonder.db.migrate import alembic_config

        script = ScriptDirectory.from_config(alembic_config("sqlite://"))
        known = frozenset(revision.revision for revision in script.walk_revisions())
        return script.get_current_head(), known
    finally:
        alembic_logger.setLevel(level)


def _reason(error: BaseException) -> str:
    """The driver's own words on one line, without SQLAlchemy's boilerplate around them."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split())
    return text or original.__class__.__name__
