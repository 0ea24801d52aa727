"""The request fuzz's harness: the seeded server, page-token forging, and the property checks.

See test_request_fuzz.py for what is asserted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grpc_server.server import server_options
from tests.integration.api.conftest import T0, ListingApi, add_change, make_listing, seed
from tests.integration.api.fuzz_requests import (
    FINGERPRINT,
    SERVER_FAULTS,
    SERVICE,
    STREAM_READ_SECONDS,
    STRICT_CLIENT,
    TAG_BYTES,
    UNARY_TIMEOUT,
    C,
    PageToken,
    pb,
)
from wonder.db.models import ListingHistory, ListingMedia, Member, Office
from wonder.v1 import listing_service_pb2_grpc


@dataclass(frozen=True)
class Binding:
    """A real next_page_token, and the request fields (besides paging) it is bound to."""

    fields: dict[str, Any]
    token: str


@dataclass(repr=False)
class Fuzz:
    api: ListingApi
    channel: grpc.aio.Channel  # to api.target, with STRICT_CLIENT options
    secret: bytes  # signs page tokens (the test settings' page_token_secret)
    max_request_bytes: int  # the server's grpc.max_receive_message_length
    bindings: dict[str, list[Binding]] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints it with every failing example
        return f"<server on port {self.api.port}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' printer
        printer.text(repr(self))

    @property
    def stub(self) -> Any:
        return listing_service_pb2_grpc.ListingServiceStub(self.channel)

    def apply(self, choice: PageToken, method: str, request: Any) -> None:
        """Set ``request.page_token`` (and, for a bound token, its bound fields)."""
        binding = self.bindings[method][choice.index % len(self.bindings[method])]
        if not choice.keep_request:
            for name, value in binding.fields.items():
                setattr(request, name, value)
        request.page_token = self._token(choice, binding.token)

    def _token(self, choice: PageToken, real: str) -> str:
        if choice.kind == "real":
            return real
        if choice.kind == "tampered":
            at, char = choice.value
            at %= len(real)
            return real[:at] + char + real[at + 1 :]
        if choice.kind == "forged_raw":
            return self.sign(choice.value)
        known = decode_token(real)
        if known is None:  # the token format changed: forge around an empty document
            known = {"v": None, "q": None, "p": [None]}
        if choice.kind == "mutated":
            at, value = choice.value
            position = list(known["p"]) or [None]
            position[at % len(position)] = value
            document: Any = {**known, "p": position}
        else:
            document = choice.value
            if isinstance(document, dict) and document.get("q") == FINGERPRINT:
                document = {**document, "q": known["q"]}
        return self.sign(json.dumps(document, separators=(",", ":")).encode())

    def sign(self, payload: bytes) -> str:
        tag = hmac.new(self.secret, payload, hashlib.sha256).digest()[:TAG_BYTES]
        return base64.urlsafe_b64encode(payload + tag).decode("ascii").rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    """The JSON document of a server-issued token (None if its format is not the known one)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw[:-TAG_BYTES])
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("p"), list):
        return None
    return document


def seed_catalogue(api: ListingApi) -> None:
    seed(
        api.sessions,
        Office(
            office_key="O1", name="Wonder Realty", modification_timestamp=T0, raw={}, updated_at=T0
        ),
        Member(
            member_key="M1",
            full_name="Jane Doe",
            office_key="O1",
            modification_timestamp=T0,
            raw={},
            updated_at=T0,
        ),
        make_listing("L1", list_agent_key="M1", list_office_key="O1", public_remarks="Pool."),
        make_listing("L2", list_price=None, bedrooms_total=None, living_area=None, city=None),
        make_listing("L3", list_price=Decimal("1.00"), modification_timestamp=T0 + timedelta(1)),
        make_listing("L4", deleted_at=T0, standard_status="Closed"),
        *(
            ListingMedia(media_key=f"P{i}", listing_key="L1", order=order, raw={})
            for i, order in enumerate([1, 2, None])
        ),
        *(
            ListingHistory(
                listing_key="L1",
                field="list_price",
                old_value=str(500 + day),
                new_value=str(501 + day),
                changed_at=T0 + timedelta(days=day),
                recorded_at=T0 + timedelta(days=day),
            )
            for day in range(3)
        ),
    )
    for key, kind in [("L1", "upsert"), ("L2", "upsert"), ("L4", "delete")]:
        add_change(api.sessions, key, kind)


def listing_query(
    filter_: str = "", order_by: str = "", view: int = 0, show_deleted: bool = False
) -> dict[str, Any]:
    return {"filter": filter_, "order_by": order_by, "view": view, "show_deleted": show_deleted}


# Requests the server answers with a next_page_token (page_size=1 over the seeded catalogue).
BOUND_REQUESTS: dict[str, list[dict[str, Any]]] = {
    "ListListings": [
        listing_query(),
        listing_query("list_price > 0", "list_price desc, modification_time"),
        listing_query(order_by="update_time desc, living_area", view=2),
        listing_query(order_by="bedrooms_total, year_built desc, city, postal_code desc"),
        listing_query(order_by="modification_timestamp desc, listing_key desc", show_deleted=True),
    ],
    "ListListingMedia": [{"parent": "listings/L1"}],
    "ListListingHistory": [{"parent": "listings/L1"}],
}


@pytest.fixture(name="fuzz")
async def fuzz_fixture(api: ListingApi) -> AsyncIterator[Fuzz]:
    """The api over a seeded catalogue; afterwards, health over the wire must still be SERVING."""
    seed_catalogue(api)
    grpc_settings = api.deps.settings.grpc
    secret = grpc_settings.page_token_secret.get_secret_value().encode()
    max_request_bytes = dict(server_options(grpc_settings))["grpc.max_receive_message_length"]
    channel = grpc.aio.insecure_channel(api.target, options=STRICT_CLIENT)
    state = Fuzz(api, channel, secret, max_request_bytes)
    try:
        for method, requests in BOUND_REQUESTS.items():
            request_class = getattr(pb, f"{method}Request")
            bindings = []
            for fields in requests:
                response = await getattr(state.stub, method)(
                    request_class(page_size=1, **fields),
                    metadata=api.metadata,
                    timeout=UNARY_TIMEOUT,
                )
                assert response.next_page_token, (method, fields)
                bindings.append(Binding(fields, response.next_page_token))
            state.bindings[method] = bindings
        yield state
    finally:
        await channel.close()
    health = health_pb2_grpc.HealthStub(api.channel)
    for service in ("", SERVICE.full_name):
        answer = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, service


# --- calls and the property ------------------------------------------------------------------


def shorten(text: str | None, limit: int = 300) -> str:
    text = text or ""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class ServerFault(AssertionError):
    """A call ended with a status no request may cause."""


# One exception class per status code, so hypothesis reports (and shrinks) each one separately.
FAULTS = {code: type(f"{code.name}_answered", (ServerFault,), {}) for code in C}


def check_status(
    fuzz: Fuzz, method: str, size: int, code: grpc.StatusCode, details: str | None
) -> None:
    if code == C.RESOURCE_EXHAUSTED and size > fuzz.max_request_bytes:
        return  # the whole request is over the server's receive limit
    if code in SERVER_FAULTS or code == C.RESOURCE_EXHAUSTED:
        raise FAULTS[code](
            f"{method} answered {code.name} ({shorten(details)!r}) to a {size}-byte request"
        )


async def call_unary(fuzz: Fuzz, method: str, request: Message) -> None:
    try:
        await getattr(fuzz.stub, method)(request, metadata=fuzz.api.metadata, timeout=UNARY_TIMEOUT)
    except grpc.aio.AioRpcError as error:
        check_status(fuzz, method, request.ByteSize(), error.code(), error.details())


async def read_stream(fuzz: Fuzz, method: str, call: Any, size: int) -> None:
    """Read at most one message for a moment, then cancel; the stream must not fail on its own."""
    try:
        message = await asyncio.wait_for(call.read(), STREAM_READ_SECONDS)
        if message is grpc.aio.EOF:
            check_status(fuzz, method, size, await call.code(), await call.details())
    except TimeoutError:
        pass  # nothing to send (the feed is idle past this cursor): the stream waits
    except grpc.aio.AioRpcError as error:
        check_status(fuzz, method, size, error.code(), error.details())
    finally:
        call.cancel()
