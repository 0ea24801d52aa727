"""The shared control API: typed requests, clear 400/405 answers, any emulator behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from wonder.sandbox.adapters import mock_transport
from wonder.sandbox.control import AdvanceRequest, ControlRouter
from wonder.sandbox.faults import FaultSettings
from wonder.sandbox.http import Reply, SandboxRequest, json_reply


class ToyAdvance(AdvanceRequest):
    widgets: int = 0


@dataclass
class ToyResult:
    seconds: float
    widgets: int

    def as_dict(self) -> Mapping[str, object]:
        return {"seconds": self.seconds, "widgets": self.widgets}


@dataclass
class ToyEmulator:
    """The smallest emulator: proves the router needs nothing Trestle-specific."""

    advanced: list[ToyAdvance] = field(default_factory=list)
    faults: FaultSettings = field(default_factory=FaultSettings)
    resets: int = 0

    def __post_init__(self) -> None:
        self.control = ControlRouter(self, ToyAdvance, FaultSettings)

    def apply_advance(self, request: ToyAdvance) -> ToyResult:
        self.advanced.append(request)
        return ToyResult(request.seconds, request.widgets)

    def set_faults(self, settings: FaultSettings) -> FaultSettings:
        self.faults = settings
        return settings

    def stats(self) -> Mapping[str, Any]:
        return {"advances": len(self.advanced), "resets": self.resets}

    def reset(self) -> None:
        self.resets += 1

    def handle(self, request: SandboxRequest) -> Reply:
        return self.control.handle(request) or json_reply(404, {"error": "emulated API"})


@pytest.fixture
def toy() -> ToyEmulator:
    return ToyEmulator()


@pytest.fixture
def http(toy: ToyEmulator) -> httpx.Client:
    return httpx.Client(transport=mock_transport(toy.handle), base_url="http://toy.test")


def test_advance_is_parsed_into_the_emulators_typed_request(
    toy: ToyEmulator, http: httpx.Client
) -> None:
    response = http.post("/_sandbox/advance", json={"seconds": 30, "widgets": "3"})
    assert response.status_code == 200
    assert response.json() == {"seconds": 30.0, "widgets": 3}
    assert toy.advanced == [ToyAdvance(seconds=30, widgets=3)]
    # An empty body is every field at its default.
    assert http.post("/_sandbox/advance").json() == {"seconds": 0.0, "widgets": 0}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'{"typo": 1}', "invalid ToyAdvance: typo: Extra inputs are not permitted"),
        (b'{"seconds": -1}', "invalid ToyAdvance: seconds: Input should be greater than"),
        (b'{"widgets": "many"}', "invalid ToyAdvance: widgets: Input should be a valid integer"),
    ],
)
def test_bad_advance_bodies_are_400_with_the_reason(
    toy: ToyEmulator, http: httpx.Client, body: bytes, message: str
) -> None:
    response = http.post("/_sandbox/advance", content=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert toy.advanced == []


def test_validation_errors_name_each_field(http: httpx.Client) -> None:
    response = http.post("/_sandbox/advance", json={"seconds": "x", "widgets": [], "typo": 1})
    fields = [detail["field"] for detail in response.json()["details"]]
    assert sorted(fields) == ["seconds", "typo", "widgets"]


def test_faults_replace_the_settings_and_refuse_unknown_knobs(
    toy: ToyEmulator, http: httpx.Client
) -> None:
    response = http.post("/_sandbox/faults", json={"error_rate": 0.5, "burst_429": 2})
    assert response.status_code == 200
    assert response.json() == FaultSettings(error_rate=0.5, burst_429=2).model_dump()
    assert toy.faults == FaultSettings(error_rate=0.5, burst_429=2)
    refused = http.post("/_sandbox/faults", json={"empty_expand_rate": 0.2})  # not a toy knob
    assert refused.status_code == 400
    assert http.post("/_sandbox/faults", json={"error_rate": 2}).status_code == 400
    assert toy.faults == FaultSettings(error_rate=0.5, burst_429=2)
    assert http.post("/_sandbox/faults").json() == FaultSettings().model_dump()


def test_stats_reset_and_wrong_methods(toy: ToyEmulator, http: httpx.Client) -> None:
    assert http.get("/_sandbox/stats").json() == {"advances": 0, "resets": 0}
    assert http.post("/_sandbox/reset").json() == {"reset": True}
    assert toy.resets == 1
    wrong = http.get("/_sandbox/reset")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
    assert http.post("/_sandbox/stats").status_code == 405
    assert toy.resets == 1
    # Anything else is the emulator's own API.
    assert http.get("/_sandbox/other").json() == {"error": "emulated API"}


def test_json_answers_are_orjson_compatible(http: httpx.Client) -> None:
    response = http.get("/_sandbox/stats")
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.content) == response.json()
