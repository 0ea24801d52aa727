"""json_text.json_dumps: orjson's speed, json.dumps's meaning."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import pytest

from wonder.db.json_text import json_dumps
from wonder.ingest.hashing import canonical_json

DOCUMENTS: list[Any] = [
    {},
    [],
    {"a": None, "b": True, "c": False, "d": 0, "e": -1.5, "f": "", "g": [[], {}]},
    {"price": 425000.1, "tiny": 5e-324, "huge": 1.7976931348623157e308, "third": 1 / 3},
    {"int64": 2**63 - 1, "negative": -(2**63)},
    {"text": 'Caf\u00e9 \U0001f3e1 "q" \\ \n\t\u2028 \u0001', "nul": "a\u0000b"},
    {"deep": {"er": [{"est": [1, 2.25, {"x": None}]}]}},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_same_json_as_the_standard_encoder(document: Any) -> None:
    text = json_dumps(document)
    assert isinstance(text, bytes)
    assert json.loads(text) == json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(
    "document",
    [
        {"big": 123456789012345678901234567890},  # orjson raises beyond 64 bits
        {"surrogate": "\ud800"},  # orjson raises on lone surrogates
        {"nan": [1.0, {"x": float("nan")}]},  # orjson would write null
        [float("inf")],
        OrderedDict(x=float("-inf")),
        {1: "non-string key"},
    ],
)
def test_falls_back_to_the_standard_encoder(document: Any) -> None:
    assert json_dumps(document) == json.dumps(document).encode()


def test_non_finite_numbers_stay_non_finite() -> None:
    decoded = json.loads(json_dumps({"a": [float("nan")]}))
    assert math.isnan(decoded["a"][0])


def test_refuses_what_the_standard_encoder_refuses() -> None:
    with pytest.raises(TypeError):
        json_dumps({"when": datetime(2026, 1, 1, tzinfo=UTC)})


@pytest.mark.parametrize(
    "document",
    [
        {"a": "x\u0000y"},
        {"key\u0000": 1},
        {"literal": "\\u0000"},
        {"ok": "\u00e9\u0001\\"},
        {"big": 2**70, "a": ["\u0000"]},  # through the fallback encoder
        {"big": 2**70, "a": "\u00e9"},
    ],
)
def test_nul_escapes_match_canonical_json(document: Any) -> None:
    # The ingest's NUL check looks for the escape in this text instead of canonical_json's.
    assert (b"\\u0000" in json_dumps(document)) == (b"\\u0000" in canonical_json(document))
