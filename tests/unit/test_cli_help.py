"""`wonder --help` and every subcommand's: a one-line description each; unknown --resource and
--status values refused with the valid ones; serve and the scope list claim only what exists."""

from __future__ import annotations

import re

import pytest

from grpc_server.servicers import METHOD_SCOPES, REGISTRATIONS
from tests.integration.grpc_platform.test_command_groups import declared_commands
from wonder.auth.cli import SCOPES_IN_USE
from wonder.auth.scopes import KNOWN_SCOPES
from wonder.cli import build_parser, subcommand_parsers
from wonder.listings import ports
from wonder.listings.cli import QUARANTINE_RESOURCES


def all_subcommands() -> list[tuple[str, object, str | None]]:
    return list(subcommand_parsers(build_parser(declared_commands())))


def test_every_subcommand_has_a_help_line_and_a_description() -> None:
    found = all_subcommands()
    paths = [path for path, _parser, _help in found]
    # The walk reaches the deepest ones too.
    assert "wonder listings deletes approve" in paths
    assert "wonder tokens create" in paths
    assert "wonder status" in paths
    missing = [path for path, _parser, help_line in found if not (help_line or "").strip()]
    assert not missing, f"subcommands without help=: {missing}"
    for path, parser, help_line in found:
        assert "\n" not in (help_line or ""), path
        assert getattr(parser, "description", None), f"{path} --help has no description"


def test_an_unknown_resource_is_an_error_listing_the_valid_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser(declared_commands())
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["listings", "quarantine", "list", "--resource", "Bogus"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'Bogus'" in error
    assert "'Property', 'Media', 'Member', 'Office'" in error


def test_an_unknown_held_delete_status_is_an_error_listing_the_valid_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser(declared_commands())
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["listings", "deletes", "list", "--status", "bogus"])
    assert exited.value.code == 2
    assert "invalid choice: 'bogus' (choose from 'held', 'applied', 'rejected')" in (
        capsys.readouterr().err
    )


def test_the_quarantine_resources_are_the_ingests() -> None:
    assert set(QUARANTINE_RESOURCES) == {ports.PROPERTY, ports.MEDIA, ports.MEMBER, ports.OFFICE}


def test_serve_help_names_exactly_the_services_it_serves() -> None:
    [serve] = [parser for path, parser, _ in all_subcommands() if path == "wonder serve"]
    text = serve.format_help()  # type: ignore[attr-defined]
    served = {registration.descriptor.full_name for registration in REGISTRATIONS}
    assert set(re.findall(r"wonder\.v1\.\w+", text.replace("\n", " "))) == served
    assert "sync state, messages" not in text


def test_the_scope_help_says_which_scopes_the_api_checks_today() -> None:
    assert set(METHOD_SCOPES.values()) == SCOPES_IN_USE
    assert SCOPES_IN_USE <= KNOWN_SCOPES
    [create] = [parser for path, parser, _ in all_subcommands() if path == "wonder tokens create"]
    text = " ".join(create.format_help().split())  # type: ignore[attr-defined]
    assert f"checked by today's API: {', '.join(sorted(SCOPES_IN_USE))}" in text
    coming = KNOWN_SCOPES - SCOPES_IN_USE
    assert ("still to come" in text) == bool(coming)
    for scope in coming:
        assert scope in text.split("still to come", 1)[1]
