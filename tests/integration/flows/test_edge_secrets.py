"""flows.edge: secret settings from their Secret blocks, and events (no Prefect server needed)."""

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


def test_events_name_a_wonder_resource_and_never_fail_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[dict[str, object]] = []
    monkeypatch.setattr(edge, "emit_event", lambda **event: sent.append(event))
    edge.emit("wonder.mail.lead", "message.m1", {"score": 0.9})
    assert sent == [
        {
            "event": "wonder.mail.lead",
            "resource": {"prefect.resource.id": "wonder.message.m1"},
            "payload": {"score": 0.9},
        }
    ]

    def unreachable(**event: object) -> None:
        raise ConnectionError("no Prefect server")

    monkeypatch.setattr(edge, "emit_event", unreachable)
    edge.emit("wonder.mail.lead", "message.m2")  # logged, not raised: the data is committed
