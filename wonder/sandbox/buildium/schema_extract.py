"""Derive ``openapi-subset.json`` (the Buildium contract our tests validate against) from
Buildium's published OpenAPI 3 spec. A dev-time tool: the spec itself never enters the repo.

Only the operations in ``OPERATIONS`` are kept, with the component schemas they reach. OpenAPI
3.0 schemas become JSON Schema draft 2020-12: ``nullable: true`` becomes a ``null`` alternative,
``#/components/schemas/X`` becomes ``#/$defs/X``, descriptions are dropped. Each operation keeps
its parameters (name, location, required, schema), its request body schema and its response
schemas by status; ``error`` is the body every non-2xx answer has (``ApiErrorResponse``).

Run: ``.venv/bin/python -m wonder.sandbox.buildium.schema_extract [SPEC]`` (default: the shared
reference copy) and commit the output; a test checks it is current whenever the spec is present.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_SPEC = Path("/work/shared/reference/buildium/buildium-openapi.json")
TARGET = Path(__file__).resolve().parent / "openapi-subset.json"
ERROR_SCHEMA = "ApiErrorResponse"

# (method, path) of every operation the sandbox serves and the client sends.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("GET", "/v1/rentals"),
    ("GET", "/v1/rentals/{propertyId}"),
    ("PUT", "/v1/rentals/{propertyId}"),
    ("GET", "/v1/rentals/units"),
    ("GET", "/v1/rentals/units/{unitId}"),
    ("PUT", "/v1/rentals/units/{unitId}"),
    ("GET", "/v1/rentals/owners"),
    ("GET", "/v1/rentals/owners/{rentalOwnerId}"),
    ("PUT", "/v1/rentals/owners/{rentalOwnerId}"),
    ("GET", "/v1/leases/tenants"),
    ("GET", "/v1/leases/tenants/{tenantId}"),
    ("PUT", "/v1/leases/tenants/{tenantId}"),
    ("GET", "/v1/leases"),
    ("GET", "/v1/leases/{leaseId}"),
    ("PUT", "/v1/leases/{leaseId}"),
    ("GET", "/v1/leases/{leaseId}/transactions"),
    ("GET", "/v1/leases/{leaseId}/transactions/{transactionId}"),
    ("POST", "/v1/leases/{leaseId}/charges"),
    ("GET", "/v1/leases/outstandingbalances"),
    ("GET", "/v1/glaccounts"),
    ("GET", "/v1/glaccounts/{glAccountId}"),
    ("GET", "/v1/generalledger/transactions"),
    ("GET", "/v1/generalledger/transactions/{transactionId}"),
)

_DROPPED = frozenset({"description", "example", "x-bodyName", "title"})


def convert(schema: Any) -> Any:
    """One OpenAPI 3.0 schema (or part of one) as JSON Schema 2020-12."""
    if isinstance(schema, list):
        return [convert(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED or key == "nullable":
            continue
        if key == "$ref":
            out[key] = "#/$defs/" + value.rsplit("/", 1)[-1]
        elif key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        else:
            out[key] = convert(value)
    if not schema.get("nullable"):
        return out
    if "type" in out and "enum" not in out:
        out["type"] = [out["type"], "null"]
        return out
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
        out["type"] = [out["type"], "null"] if "type" in out else out.get("type")
        return {k: v for k, v in out.items() if v is not None}
    return {"anyOf": [out, {"type": "null"}]}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _json_schema(content: dict[str, Any] | None) -> Any:
    if not content:
        return None
    media = content.get("application/json") or next(iter(content.values()))
    return media.get("schema")


def extract(spec: dict[str, Any], spec_sha256: str) -> dict[str, Any]:
    components: dict[str, Any] = spec["components"]["schemas"]
    operations: dict[str, Any] = {}
    wanted: set[str] = {ERROR_SCHEMA}
    for method, path in OPERATIONS:
        op = spec["paths"][path][method.lower()]
        parameters = {
            p["name"]: {
                "in": p["in"],
                "required": bool(p.get("required")),
                "schema": convert(p.get("schema", {})),
            }
            for p in op.get("parameters", [])
        }
        body = op.get("requestBody")
        request = convert(_json_schema(body.get("content"))) if body else None
        responses = {
            status: convert(_json_schema(answer.get("content")))
            for status, answer in op["responses"].items()
        }
        headers = sorted(
            name for answer in op["responses"].values() for name in answer.get("headers", {})
        )
        operations[f"{method} {path}"] = {
            "operationId": op.get("operationId"),
            "parameters": parameters,
            "request": request,
            "responses": responses,
            "headers": headers,
        }
        _refs(op, wanted)
    closure: set[str] = set()
    pending = list(wanted)
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure.add(name)
        found: set[str] = set()
        _refs(components[name], found)
        pending.extend(found - closure)
    return {
        "$comment": (
            "GENERATED by wonder/sandbox/buildium/schema_extract.py from Buildium's published "
            "OpenAPI spec (buildium-openapi.json); do not edit. Only the operations the sandbox "
            "serves and the client sends, as JSON Schema 2020-12."
        ),
        "source": {
            "title": spec["info"].get("title"),
            "version": spec["info"].get("version"),
            "openapi": spec.get("openapi"),
            "sha256": spec_sha256,
        },
        "error": {"$ref": f"#/$defs/{ERROR_SCHEMA}"},
        "operations": operations,
        "$defs": {name: convert(components[name]) for name in sorted(closure)},
    }


def render(spec_path: Path) -> str:
    raw = spec_path.read_bytes()
    subset = extract(json.loads(raw), hashlib.sha256(raw).hexdigest())
    return json.dumps(subset, indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    TARGET.write_text(render(spec_path), encoding="utf-8")
    print(f"wrote {TARGET} from {spec_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
