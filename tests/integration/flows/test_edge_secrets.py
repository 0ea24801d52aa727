"""flows.edge resolves any secret setting from its Secret block (no Prefect server needed)."""

from __future__ import annotations

import pytest

from flows import edge


@pytest.fixture
def blocks(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    stored = {"trestle-secret": "from-the-block", "other-block": "from-the-other-block"}
    read: dict[str, str] = {}

    def read_block(name: str) -> str:
        read[name] = stored[name]
        return stored[name]

    monkeypatch.setattr(edge, "_read_secret_block", read_block)
    return read


def test_a_secret_comes_from_the_block_its_sibling_setting_names(
    blocks: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WONDER_TRESTLE__CLIENT_SECRET", "from-the-environment")
    monkeypatch.setenv("WONDER_TRESTLE__CLIENT_SECRET_BLOCK", "trestle-secret")

    settings = edge.load_settings()

    assert settings.trestle.client_secret.get_secret_value() == "from-the-block"
    assert blocks == {"trestle-secret": "from-the-block"}


def test_a_block_named_by_the_flow_parameter_wins(
    blocks: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WONDER_TRESTLE__CLIENT_SECRET_BLOCK", "trestle-secret")

    settings = edge.load_settings({"trestle.client_secret": "other-block"})

    assert settings.trestle.client_secret.get_secret_value() == "from-the-other-block"
    assert list(blocks) == ["other-block"]


def test_without_a_block_the_environment_is_used_and_no_block_is_read(
    blocks: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WONDER_TRESTLE__CLIENT_SECRET", "from-the-environment")

    settings = edge.load_settings({"trestle.client_secret": None})

    assert settings.trestle.client_secret.get_secret_value() == "from-the-environment"
    assert blocks == {}
