"""HTTP routes of the Trestle emulator (Starlette). Behaviour lives in ``sandbox.py``."""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wonder.sandbox.faults import FaultDecision, FaultKind, FaultSettings
from wonder.sandbox.server import TRANSPORT_EXTENSION
from wonder.sandbox.trestle.sandbox import ERROR_MESSAGES, PLAIN_JSON, Reply, error_reply

if TYPE_CHECKING:
    from wonder.sandbox.trestle.sandbox import TrestleSandbox

ODATA_VERSION = {"OData-Version": "4.0"}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _drop(request: Request) -> Response:
    """Close the connection without answering (the server sends nothing afterwards)."""
    transport = request.scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
    if transport is None:
        raise ConnectionAbortedError("drop fault without a transport to close")
    transport.abort()
    for _ in range(5):  # let connection_lost run so the server knows the client is gone
        await asyncio.sleep(0)
    return Response(status_code=500)


def _to_response(reply: Reply, odata: bool = True) -> Response:
    headers = dict(reply.headers)
    if odata:
        headers.update(ODATA_VERSION)
    body = reply.body
    if reply.truncate and len(body) > 1:
        body = body[: len(body) // 2]  # a well-formed HTTP answer whose JSON is cut short
    return Response(body, status_code=reply.status, headers=headers, media_type=reply.content_type)


def create_app(sandbox: TrestleSandbox) -> Starlette:
    async def faulted(request: Request, *, odata: bool) -> tuple[FaultDecision, Response | None]:
        fault = sandbox.decide_fault() if odata else sandbox.faults.decide(odata=False)
        if fault.latency_seconds:
            await asyncio.sleep(fault.latency_seconds)
        if fault.kind is FaultKind.DROP:
            return fault, await _drop(request)
        return fault, None

    async def token(request: Request) -> Response:
        route = "/trestle/oidc/connect/token"
        fault, dropped = await faulted(request, odata=False)
        if dropped is not None:
            sandbox.count_request("POST", route, 0)
            return dropped
        if fault.kind is FaultKind.ERROR:
            reply = error_reply(fault.error_status, ERROR_MESSAGES[fault.error_status])
        else:
            raw = (await request.body()).decode("utf-8", errors="replace")
            form = dict(parse_qsl(raw, keep_blank_values=True))
            reply = sandbox.issue_token(form, _basic_auth(request.headers.get("authorization")))
        sandbox.count_request("POST", route, reply.status)
        return _to_response(reply, odata=False)

    async def service_document(request: Request) -> Response:
        route = "/trestle/odata"
        fault, dropped = await faulted(request, odata=False)
        if dropped is not None:
            sandbox.count_request("GET", route, 0)
            return dropped
        if fault.kind is FaultKind.ERROR:
            reply = error_reply(fault.error_status, ERROR_MESSAGES[fault.error_status])
        else:
            reply = sandbox.service_document(_base_url(request))
        sandbox.count_request("GET", route, reply.status)
        return _to_response(reply)

    async def odata(request: Request) -> Response:
        resource = unquote(request.path_params["resource"])
        route = f"/trestle/odata/{resource.partition('(')[0]}"
        fault, dropped = await faulted(request, odata=True)
        if dropped is not None:
            sandbox.count_request("GET", route, 0)
            return dropped
        params = request.query_params.multi_items()
        reply = await asyncio.to_thread(
            sandbox.odata,
            resource,
            params,
            request.headers.get("authorization"),
            _base_url(request),
            fault,
        )
        sandbox.count_request("GET", route, reply.status)
        return _to_response(reply)

    async def advance(request: Request) -> Response:
        payload = await _json(request)
        if isinstance(payload, Response):
            return payload
        allowed = {
            "seconds", "price_changes", "status_changes", "media_changes", "new_listings",
            "removed_listings", "bad_records", "same_timestamp",
        }  # fmt: skip
        unknown = set(payload) - allowed
        if unknown:
            return _control_error(f"unknown fields: {sorted(unknown)}")
        try:
            result = await asyncio.to_thread(sandbox.advance, **payload)
        except TypeError as exc:
            return _control_error(str(exc))
        return Response(orjson.dumps(result.as_dict()), media_type=PLAIN_JSON)

    async def faults(request: Request) -> Response:
        payload = await _json(request)
        if isinstance(payload, Response):
            return payload
        try:
            settings = FaultSettings.model_validate(payload, strict=False)
        except ValidationError as exc:
            return _control_error(str(exc))
        sandbox.set_faults(settings)
        return Response(orjson.dumps(settings.model_dump()), media_type=PLAIN_JSON)

    async def stats(request: Request) -> Response:
        return Response(orjson.dumps(sandbox.stats()), media_type=PLAIN_JSON)

    async def reset(request: Request) -> Response:
        await asyncio.to_thread(sandbox.reset)
        return Response(orjson.dumps({"reset": True}), media_type=PLAIN_JSON)

    async def not_found(request: Request) -> Response:
        reply = error_reply(404, f"No route for {request.url.path}")
        return _to_response(reply)

    routes = [
        Route("/trestle/oidc/connect/token", token, methods=["POST"]),
        Route("/trestle/odata", service_document, methods=["GET"]),
        Route("/trestle/odata/", service_document, methods=["GET"]),
        Route("/trestle/odata/{resource:path}", odata, methods=["GET"]),
        Route("/_sandbox/advance", advance, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["POST"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/{path:path}", not_found),
    ]
    return Starlette(routes=routes)


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None


async def _json(request: Request) -> dict[str, Any] | Response:
    body = await request.body()
    if not body:
        return {}
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _control_error("body is not JSON")
    if not isinstance(payload, dict):
        return _control_error("body must be a JSON object")
    return payload


def _control_error(message: str) -> Response:
    return Response(orjson.dumps({"error": message}), status_code=400, media_type=PLAIN_JSON)
