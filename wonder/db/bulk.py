"""Bulk reads and writes that behave the same on PostgreSQL and SQLite, in the caller's session.

Upserts use ``INSERT ... ON CONFLICT`` on both. One statement must not touch the same row twice
(PostgreSQL refuses), so callers pass rows de-duplicated by key. Page-sized upserts go through
COPY on PostgreSQL (:mod:`wonder.db.pg_copy`): an executemany there is one INSERT per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import String, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wonder.db import pg_copy

_T = TypeVar("_T")

# Rows per statement: keeps bound parameters well under every driver's limit.
CHUNK = 500


def chunks(items: Sequence[_T], size: int = CHUNK) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def key_in(session: Session, column: Any, keys: Sequence[str]) -> Any:
    """``column IN keys``; on PostgreSQL ``column = ANY(<one text[] parameter>)``.

    psycopg prepares a statement run five times and PostgreSQL may then keep one generic plan.
    For ``IN ($1, ..., $500)`` the one picked while a first load's tables were still small
    stayed a sequential scan (every row compared with all 500 parameters): each page reread the
    whole table, and a 60k first load took 165 s instead of 85 s. ``= ANY($1)`` stays a
    primary-key lookup as the table grows.
    """
    if is_postgresql(session):
        return column == any_(text_array("b_keys", keys))
    return column.in_(keys)


def text_array(name: str, values: Sequence[str]) -> Any:
    """One PostgreSQL ``text[]`` parameter (instead of one parameter per value)."""
    return typed_array(name, values, String)


def typed_array(name: str, values: Sequence[Any], item: Any) -> Any:
    """One PostgreSQL array parameter of ``item`` (a SQLAlchemy type), e.g. for ``unnest``."""
    return bindparam(name, list(values), type_=postgresql.ARRAY(item))


def insert_for(session: Session, table: Table) -> Any:
    """The dialect's INSERT (with ``on_conflict_*``) for the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {name!r}")


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    keep: Sequence[str] = (),
    bulk: bool = False,
) -> None:
    """Insert rows; on a key conflict overwrite every column but the key and ``keep``.

    ``bulk``: a page-sized write, sent through COPY on PostgreSQL.
    """
    if not rows:
        return
    if bulk and is_postgresql(session):
        pg_copy.copy_upsert(session.connection(), table, rows, conflict=conflict, keep=keep)
        return
    stmt = insert_for(session, table)
    preserved = set(conflict) | set(keep)
    columns = [name for name in rows[0] if name not in preserved]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(conflict), set_={name: stmt.excluded[name] for name in columns}
    )
    for chunk in chunks(rows):
        session.execute(stmt, list(chunk))
