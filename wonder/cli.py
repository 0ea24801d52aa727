"""`wonder ...`: the operational commands.

Each command group lives beside the code it drives (``wonder/<area>/cli.py``; ``wonder serve``
in the gRPC server's package) and exposes ``register(subparsers)``; registration imports nothing
heavy so ``wonder --help`` stays fast. A group registers itself in pyproject.toml, under the
entry-point group ``wonder.commands``, so this module imports none of them by name::

    [project.entry-points."wonder.commands"]
    60-sync = "wonder.sync.cli"

Groups are registered (and listed by ``wonder --help``) in the order of their entry-point names,
hence the numeric prefix. Entry points are package metadata: after editing them, reinstall
(``make install``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points

from wonder.settings import Settings

COMMAND_GROUP = "wonder.commands"


class CommandRegistrationError(RuntimeError):
    """The installed command groups cannot be loaded: the install is missing or stale."""


def command_entry_points(group: str = COMMAND_GROUP) -> list[EntryPoint]:
    """The installed entry points of ``group``, in name order; none is an error."""
    found = sorted(entry_points(group=group), key=_by_name)
    if not found:
        raise CommandRegistrationError(
            f"no {group!r} entry points are installed, so `wonder` has no commands: "
            "the package metadata is missing or stale (reinstall: make install)"
        )
    return found


def _by_name(entry: EntryPoint) -> str:
    return entry.name


def register_commands(subparsers: object, commands: Iterable[EntryPoint]) -> None:
    """Each group's ``register(subparsers)``, in entry-point name order."""
    for entry in sorted(commands, key=_by_name):
        try:
            module = entry.load()
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if entry.module != missing and not entry.module.startswith(missing + "."):
                raise  # the group's own imports are broken: not an install problem
            raise CommandRegistrationError(
                f"command group {entry.name} = {entry.value!r} ({COMMAND_GROUP}) cannot be "
                f"imported: {error} (stale install? reinstall: make install)"
            ) from error
        register = getattr(module, "register", None)
        if not callable(register):
            raise CommandRegistrationError(
                f"command group {entry.name} = {entry.value!r} ({COMMAND_GROUP}) has no "
                "register(subparsers) function"
            )
        register(subparsers)


def build_parser(commands: Iterable[EntryPoint] | None = None) -> argparse.ArgumentParser:
    """The ``wonder`` parser; ``commands`` defaults to the installed entry points."""
    parser = argparse.ArgumentParser(
        prog="wonder",
        description="Wonder Street back office: pipelines, sandbox and query API.",
    )
    parser.add_argument("--log-level", default=None, help="override WONDER_LOG_LEVEL")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register_commands(subparsers, command_entry_points() if commands is None else commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
    except CommandRegistrationError as error:
        print(f"wonder: {error}", file=sys.stderr)
        return 2
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
