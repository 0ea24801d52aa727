"""`wonder ...`: the operational commands.

Each command group lives beside the code it drives (``wonder/<area>/cli.py``) and exposes
``register(subparsers)``; registration imports nothing heavy so ``wonder --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from wonder.settings import Settings

# Modules that contribute subcommands, in the order `wonder --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "wonder.db.cli",
    "wonder.sandbox.cli",
    "wonder.listings.cli",
    "wonder.api_cli",
    "wonder.auth.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wonder",
        description="Wonder Street back office: pipelines, sandbox and query API.",
    )
    parser.add_argument("--log-level", default=None, help="override WONDER_LOG_LEVEL")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=(args.log_level or settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result: int | None = args.handler(settings, args)
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
