"""`wonder migrate`, and ``requires_database``: what every command that needs the database wraps
its handler in (the one-line error and exit status 2 instead of a traceback)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

from wonder.settings import Settings

Handler = Callable[[Settings, argparse.Namespace], int]
# The exit status of a command refused because its database is unreachable or not migrated.
NOT_READY_EXIT = 2


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "migrate", help="apply database migrations (Alembic) to WONDER_DATABASE_URL"
    )
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.set_defaults(handler=_migrate)


def requires_database(handler: Handler) -> Handler:
    """``handler`` runs only on a reachable, migrated database; otherwise one line on stderr
    (``error: the database URL is not migrated: run `wonder migrate```) and exit status 2."""

    @functools.wraps(handler)
    def checked(settings: Settings, args: argparse.Namespace) -> int:
        from wonder.db.readiness import check_database

        readiness = check_database(settings.database_url)
        if not readiness.ready:
            print(f"error: {readiness.problem()}", file=sys.stderr)
            return NOT_READY_EXIT
        return handler(settings, args)

    return checked


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.db.readiness import DatabaseState, check_database

    readiness = check_database(settings.database_url)
    if readiness.state is DatabaseState.UNREACHABLE or not readiness.known_revision:
        print(f"error: {readiness.problem()}", file=sys.stderr)
        return NOT_READY_EXIT
    from wonder.db.migrate import upgrade

    upgrade(settings.database_url, args.revision)
    after = check_database(settings.database_url)
    print(f"migrated {after.url} to revision {after.current or 'none'} (head {after.head})")
    return 0
