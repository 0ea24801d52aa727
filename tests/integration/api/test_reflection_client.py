"""A consumer with none of our generated code: everything it knows comes from server reflection."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.json_format import MessageToDict
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from tests.integration.api.conftest import ListingApi, make_listing, seed

SERVICE = "wonder.v1.ListingService"


def reflective_client(target: str, token: str) -> dict[str, Any]:
    """Discover the service, build requests from its descriptors, call it (blocking)."""
    metadata = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(target) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = list(database.get_services())
        pool = descriptor_pool.DescriptorPool(database)
        service = pool.FindServiceByName(SERVICE)

        def call(method_name: str, fields: dict[str, Any]) -> dict[str, Any]:
            method = service.FindMethodByName(method_name)
            request_class = message_factory.GetMessageClass(method.input_type)
            response_class = message_factory.GetMessageClass(method.output_type)
            stub: grpc.UnaryUnaryMultiCallable[Any, Any] = channel.unary_unary(
                f"/{SERVICE}/{method_name}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=response_class.FromString,
            )
            response = stub(request_class(**fields), metadata=metadata, timeout=30)
            return MessageToDict(response, preserving_proto_field_name=True)

        return {
            "services": services,
            "methods": [m.name for m in service.methods],
            "get": call("GetListing", {"name": "listings/R1"}),
            "list": call(
                "ListListings",
                {
                    "filter": 'city = "Austin" AND list_price < 600000',
                    "order_by": "list_price desc",
                },
            ),
        }


async def test_a_reflection_only_client_can_discover_and_call_the_service(api: ListingApi) -> None:
    seed(
        api.sessions,
        make_listing("R1", public_remarks="Sunny."),
        make_listing("R2", list_price=550000),
        make_listing("R3", city="Dallas"),
    )
    result = await asyncio.to_thread(reflective_client, api.target, api.token)

    assert SERVICE in result["services"]
    assert {"GetListing", "ListListings", "StreamListingChanges"} <= set(result["methods"])
    listing = result["get"]
    assert listing["name"] == "listings/R1"
    assert listing["list_price"] == {"currency_code": "USD", "units": "500000"}
    assert listing["public_remarks"] == "Sunny."
    assert listing["modification_time"] == "2024-05-01T12:00:00Z"
    assert [item["listing_key"] for item in result["list"]["listings"]] == ["R2", "R1"]
