"""`wonder migrate`."""

from __future__ import annotations

import argparse
from typing import Any

from wonder.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "migrate", help="apply database migrations (Alembic) to WONDER_DATABASE_URL"
    )
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.set_defaults(handler=_migrate)


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from wonder.db.migrate import upgrade

    upgrade(settings.database_url, args.revision)
    print(f"migrated {make_url(settings.database_url)!r} to {args.revision}")
    return 0
