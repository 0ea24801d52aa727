"""`wonder ...`: the operational commands.

Each command group lives beside the code it drives (``wonder/<area>/cli.py``; ``wonder serve``
in the gRPC server's package) and exposes ``register(subparsers)``; registration imports nothing
heavy so ``wonder --help`` stays fast. A group registers itself in pyproject.toml, under the
entry-point group ``wonder.commands``, so this module imports none of them by name::

    [project.entry-points."wonder.commands"]
    60-sync = "wonder.sync.cli"

Groups are registered (and listed by ``wonder --help``) in the order of their entry-point names,
hence the numeric prefix. Entry points are package metadata: after editing them, reinstall
(``make install``). Every subcommand gets a ``help=`` line (a test walks the parser); it is its
``--help`` description too unless it sets one. A handler that needs the database is wrapped in
``wonder.db.cli.requires_database``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
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


class _WonderParser(argparse.ArgumentParser):
    """``wonder --help`` ends with the database in effect (computed only when help is shown)."""

    def format_help(self) -> str:
        self.epilog = database_help()
        return super().format_help()


def database_help() -> str:
    """Which database the commands use, where that comes from, and how to change it."""
    from wonder.db.readiness import display_url
    from wonder.settings import default_database_url, source_checkout

    try:
        url = Settings().database_url
    except ValueError as error:  # a malformed WONDER_* variable: say so, do not die in --help
        return f"database: the settings do not load ({error.__class__.__name__})"
    default = default_database_url()
    if url != default:
        origin = f"set by WONDER_DATABASE_URL; unset, the default is {default}"
    elif (checkout := source_checkout()) is not None:
        origin = f"the default: var/ of the source checkout {checkout}, wherever you run from"
    else:
        origin = "the default: in the user data directory, wherever you run from"
    return (
        f"database: {display_url(url)}\n"
        f"  ({origin})\n"
        "  Set WONDER_DATABASE_URL (environment or .env) to use another, e.g.\n"
        "  postgresql+psycopg://user:password@host/db; a relative sqlite:///path is relative\n"
        "  to the current directory. `wonder migrate` creates or upgrades its tables."
    )


def build_parser(commands: Iterable[EntryPoint] | None = None) -> argparse.ArgumentParser:
    """The ``wonder`` parser; ``commands`` defaults to the installed entry points."""
    parser = _WonderParser(
        prog="wonder",
        description="Wonder Street back office: pipelines, sandbox and query API.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log-level", default=None, help="override WONDER_LOG_LEVEL")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=argparse.ArgumentParser
    )
    register_commands(subparsers, command_entry_points() if commands is None else commands)
    describe_subcommands(parser)
    return parser


def subcommand_parsers(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, argparse.ArgumentParser, str | None]]:
    """Every (``wonder listings deletes list``, its parser, its help line), depth first."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, subparser in action.choices.items():
            yield f"{parser.prog} {name}", subparser, helps.get(name)
            yield from subcommand_parsers(subparser)


def describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """A subcommand's ``--help`` opens with its help line unless it has its own description."""
    for _path, subparser, help_line in subcommand_parsers(parser):
        if subparser.description is None and help_line:
            subparser.description = help_line[0].upper() + help_line[1:] + "."


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
    except CommandRegistrationError as error:
        print(f"wonder: {error}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    settings = Settings()
    level = (args.log_level or settings.log_level).upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":  # one INFO line per HTTP request drowns the commands' own progress
        logging.getLogger("httpx").setLevel(logging.WARNING)
    result: int | None = args.handler(settings, args)
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
