"""Reflection answers as grpc.reflection.v1 too: buf curl, grpcurl and Postman ask v1 first.

One test drives the v1 method path from Python; the other is buf curl itself (the pinned
@bufbuild/buf of package.json, which `make test` installs when npm is there), told to use only
the v1 protocol, discovering and calling the service with nothing but reflection.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import grpc.aio
import pytest
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2 as wire

from tests.integration.api.conftest import ListingApi, make_listing, seed

V1_METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
BUF = Path(__file__).resolve().parents[3] / "node_modules" / ".bin" / "buf"


async def ask_v1(
    channel: grpc.aio.Channel, *requests: wire.ServerReflectionRequest
) -> list[wire.ServerReflectionResponse]:
    # v1's messages are v1alpha's field for field; only the method path differs.
    call = channel.stream_stream(
        V1_METHOD,
        request_serializer=wire.ServerReflectionRequest.SerializeToString,
        response_deserializer=wire.ServerReflectionResponse.FromString,
    )

    async def stream() -> AsyncIterator[wire.ServerReflectionRequest]:
        for request in requests:
            yield request

    return [response async for response in call(stream(), timeout=10)]


def file_names(response: wire.ServerReflectionResponse) -> set[str]:
    return {
        descriptor_pb2.FileDescriptorProto.FromString(raw).name
        for raw in response.file_descriptor_response.file_descriptor_proto
    }


async def test_the_v1_path_lists_and_describes_every_service(api: ListingApi) -> None:
    listed, listing, itself = await ask_v1(
        api.channel,
        wire.ServerReflectionRequest(list_services=""),
        wire.ServerReflectionRequest(file_containing_symbol="wonder.v1.ListingService"),
        wire.ServerReflectionRequest(file_containing_symbol="grpc.reflection.v1.ServerReflection"),
    )
    assert {s.name for s in listed.list_services_response.service} >= {
        "wonder.v1.ListingService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert "wonder/v1/listing_service.proto" in file_names(listing)
    assert file_names(itself) == {"grpc/reflection/v1/reflection.proto"}
    (v1,) = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in itself.file_descriptor_response.file_descriptor_proto
    ]
    (method,) = v1.service[0].method
    assert (v1.package, method.input_type) == (
        "grpc.reflection.v1",
        ".grpc.reflection.v1.ServerReflectionRequest",
    )


async def buf_curl(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(BUF),
        "curl",
        *("--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


@pytest.fixture
def buf() -> Path:
    if not BUF.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{BUF} is missing: `make test` installs it with npm (npm ci)")
        pytest.skip("buf is not installed (npm ci installs the pinned one)")
    return BUF


@pytest.mark.usefixtures("buf")
async def test_buf_curl_on_reflection_v1_alone_discovers_and_calls_the_api(
    api: ListingApi,
) -> None:
    seed(api.sessions, make_listing("R1"), make_listing("R2", property_type="ResidentialLease"))
    base = f"http://{api.target}"
    code, out, err = await buf_curl("--list-methods", base)
    assert code == 0, err
    assert "wonder.v1.ListingService/ListListings" in out.split()

    code, out, err = await buf_curl(
        *("-H", f"authorization: Bearer {api.token}"),
        *("--data", json.dumps({"filter": "transaction_type = LEASE"})),
        f"{base}/wonder.v1.ListingService/ListListings",
    )
    assert code == 0, err
    listings = json.loads(out)["listings"]
    assert [(x["listingKey"], x["transactionType"]) for x in listings] == [
        ("R2", "TRANSACTION_TYPE_LEASE")
    ]
