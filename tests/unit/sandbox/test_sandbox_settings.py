"""``settings.sandbox``: shared values at the top, one group per emulator, nested env vars."""

from __future__ import annotations

from pathlib import Path

import pytest

from wonder.settings import Settings, TrestleSandboxSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file
    for name in ("HOST", "TRESTLE__PORT", "TRESTLE__LISTINGS", "TRESTLE_PORT", "LISTINGS"):
        monkeypatch.delenv(f"WONDER_SANDBOX__{name}", raising=False)


def test_defaults() -> None:
    sandbox = Settings().sandbox
    assert sandbox.host == "127.0.0.1"
    assert sandbox.trestle == TrestleSandboxSettings()
    assert (sandbox.trestle.port, sandbox.trestle.listings) == (8701, 500)
    assert (sandbox.trestle.seed, sandbox.trestle.profile) == (42, "realistic")


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WONDER_SANDBOX__HOST", "0.0.0.0")
    monkeypatch.setenv("WONDER_SANDBOX__TRESTLE__PORT", "9001")
    monkeypatch.setenv("WONDER_SANDBOX__TRESTLE__LISTINGS", "77")
    monkeypatch.setenv("WONDER_SANDBOX__TRESTLE__PROFILE", "fast")
    sandbox = Settings().sandbox
    assert sandbox.host == "0.0.0.0"
    assert (sandbox.trestle.port, sandbox.trestle.listings, sandbox.trestle.profile) == (
        9001,
        77,
        "fast",
    )
