"""The Buildium contract: ``openapi-subset.json`` (derived from Buildium's OpenAPI spec by
``schema_extract``) loaded as JSON Schema validators, one per operation.

The sandbox validates request bodies with it (a violation is a 422 naming the field); the tests
validate every response the sandbox gives and every request the client sends.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

SUBSET_FILE = "openapi-subset.json"


@dataclass(frozen=True)
class Operation:
    key: str  # "GET /v1/rentals/{propertyId}"
    method: str
    template: str
    pattern: re.Pattern[str]
    parameters: dict[str, dict[str, Any]]


@functools.cache
def subset() -> dict[str, Any]:
    text = resources.files("wonder.sandbox.buildium").joinpath(SUBSET_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def operations() -> tuple[Operation, ...]:
    found: list[Operation] = []
    for key, op in subset()["operations"].items():
        method, template = key.split(" ", 1)
        regex = re.sub(r"\\\{[A-Za-z]+\\\}", r"(-?\\d+)", re.escape(template))
        found.append(Operation(key, method, template, re.compile(f"^{regex}$"), op["parameters"]))
    # Literal segments win over ids: /v1/rentals/units before /v1/rentals/{propertyId}.
    found.sort(key=lambda o: (o.template.count("{"), -len(o.template)))
    return tuple(found)


def match(method: str, path: str) -> tuple[Operation, list[int]] | None:
    """The operation a request names (paths are case-sensitive), with its path ids."""
    for op in operations():
        if op.method != method:
            continue
        found = op.pattern.match(path)
        if found:
            return op, [int(part) for part in found.groups()]
    return None


def path_exists(path: str) -> bool:
    return any(op.pattern.match(path) for op in operations())


@functools.cache
def _validator(schema_json: str) -> Draft202012Validator:
    schema = {"$defs": subset()["$defs"], **json.loads(schema_json)}
    return Draft202012Validator(schema)


def _errors(schema: Any, instance: Any) -> list[tuple[str, str]]:
    if schema is None:
        return []
    validator = _validator(json.dumps(schema, sort_keys=True))
    return [
        (".".join(str(part) for part in error.absolute_path) or "body", error.message)
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def request_errors(key: str, body: Any) -> list[tuple[str, str]]:
    """(field path, message) for each way ``body`` breaks the operation's request schema."""
    return _errors(subset()["operations"][key]["request"], body)


def response_errors(key: str, status: int, body: Any) -> list[tuple[str, str]]:
    """The same for a response: the schema of its status, else the error body schema."""
    responses = subset()["operations"][key]["responses"]
    schema = responses.get(str(status))
    if schema is None:
        if 200 <= status < 300:
            return [("status", f"{status} is not a documented answer of {key}")]
        schema = subset()["error"]
    return _errors(schema, body)
