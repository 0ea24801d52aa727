"""`wonder` finds its command groups (``serve`` among them) as entry points, never by import.

The core (``wonder/``) must not import ``grpc_server``: ``wonder serve`` is registered by
``grpc_server/cli.py`` through the ``wonder.commands`` entry-point group of pyproject.toml.
"""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from wonder.cli import (
    COMMAND_GROUP,
    CommandRegistrationError,
    build_parser,
    command_entry_points,
    register_commands,
)

ROOT = Path(__file__).resolve().parents[3]


def declared_commands() -> list[EntryPoint]:
    """The group as pyproject.toml declares it (what an install turns into metadata)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    table = project["entry-points"][COMMAND_GROUP]
    return [EntryPoint(name, value, COMMAND_GROUP) for name, value in table.items()]


def listed_commands(help_text: str) -> list[str]:
    """The subcommand names of `wonder --help`, in the order it lists them."""
    section = help_text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return re.findall(r"^    (\S+)", section, flags=re.MULTILINE)


def test_help_lists_every_group_in_the_order_of_the_entry_point_names() -> None:
    commands = list(reversed(declared_commands()))
    help_text = build_parser(commands).format_help()
    assert listed_commands(help_text) == [
        "migrate",
        "status",
        "sandbox",
        "listings",
        "mail",
        "buildium",
        "serve",
        "tokens",
        "webhooks",
    ]


def test_serve_is_registered_by_grpc_server() -> None:
    values = {entry.value for entry in declared_commands()}
    assert "grpc_server.cli" in values
    args = build_parser(declared_commands()).parse_args(["serve", "--port", "0"])
    assert args.handler.__module__ == "grpc_server.cli"


def test_the_installed_metadata_matches_pyproject() -> None:
    """Fails on a stale install (pyproject edited, not reinstalled): run `make install`."""
    installed = [(entry.name, entry.value) for entry in command_entry_points()]
    declared = sorted((entry.name, entry.value) for entry in declared_commands())
    assert installed == declared, "the installed entry points are stale: make install"


def test_an_empty_group_fails_loudly() -> None:
    with pytest.raises(CommandRegistrationError, match=r"reinstall: make install"):
        command_entry_points("wonder.no-such-group")


def test_a_group_whose_module_is_gone_says_reinstall() -> None:
    gone = EntryPoint("90-gone", "wonder.no_such_cli", COMMAND_GROUP)
    with pytest.raises(CommandRegistrationError, match=r"90-gone.*reinstall: make install"):
        register_commands(object(), [gone])


def test_the_core_never_imports_grpc_server() -> None:
    offenders = []
    for path in sorted((ROOT / "wonder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            if any(name == "grpc_server" or name.startswith("grpc_server.") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
