"""A new servicer module is a new service: found by scanning, served with its declared scopes.

The tests add a directory to ``grpc_server.servicers.__path__`` holding modules written here, as
if a slice had added ``grpc_server/servicers/<name>.py``, and drop them again afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import grpc.aio
import pytest
from google.protobuf import empty_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy.orm import Session, sessionmaker

import grpc_server.servicers
from grpc_server.registry import ServiceRegistrationError, discover, method_scopes, registrar
from tests.grpc_fixtures import StartServer
from tests.integration.grpc_platform.conftest import Platform, platform_settings
from tests.integration.grpc_platform.probe_service import bearer

PACKAGE = "grpc_server.servicers"

# What a slice writes: a service whose descriptor (built here in place of generated code) declares
# `sync:read` on Ping, and its registration.
PLANTED_SYNC = """
import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2

from grpc_server.registry import ServiceRegistration
from wonder.v1 import options_pb2

FILE = "test/v1/planted_sync.proto"


def _descriptor():
    pool = descriptor_pool.Default()
    try:
        return pool.FindFileByName(FILE).services_by_name["PlantedSync"]
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto(
        name=FILE,
        package="test.v1",
        syntax="proto3",
        dependency=["google/protobuf/empty.proto", "wonder/v1/options.proto"],
    )
    method = file.service.add(name="PlantedSync").method.add(
        name="Ping", input_type=".google.protobuf.Empty", output_type=".google.protobuf.Empty"
    )
    method.options.Extensions[options_pb2.required_scope] = "sync:read"
    pool.Add(file)
    return pool.FindFileByName(FILE).services_by_name["PlantedSync"]


class PlantedSyncServicer:
    def __init__(self, deps):
        self.deps = deps

    async def Ping(self, request, context):
        return empty_pb2.Empty()


def add_to_server(servicer, server):
    handler = grpc.unary_unary_rpc_method_handler(
        servicer.Ping,
        request_deserializer=empty_pb2.Empty.FromString,
        response_serializer=empty_pb2.Empty.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("test.v1.PlantedSync", {"Ping": handler}),)
    )


REGISTRATION = ServiceRegistration(
    descriptor=_descriptor(), factory=PlantedSyncServicer, add_to_server=add_to_server
)
"""


@pytest.fixture
def plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory searched as part of grpc_server.servicers; its modules are unloaded after."""
    monkeypatch.setattr(
        grpc_server.servicers, "__path__", [*grpc_server.servicers.__path__, str(tmp_path)]
    )
    importlib.invalidate_caches()
    yield tmp_path
    for module in tmp_path.glob("*.py"):
        sys.modules.pop(f"{PACKAGE}.{module.stem}", None)


def test_a_new_module_is_discovered(plant: Path) -> None:
    (plant / "planted_sync.py").write_text(PLANTED_SYNC)
    (plant / "_helpers.py").write_text("raise AssertionError('private modules are not imported')\n")
    found = discover(PACKAGE)
    real = [r.full_name for r in grpc_server.servicers.REGISTRATIONS]
    assert "wonder.v1.ListingService" in real
    assert sorted(r.full_name for r in found) == sorted([*real, "test.v1.PlantedSync"])
    scopes = method_scopes(r.descriptor for r in found)
    assert scopes["/test.v1.PlantedSync/Ping"] == "sync:read"
    assert scopes["/wonder.v1.ListingService/GetListing"] == "listings:read"


def test_a_public_module_without_a_registration_is_refused(plant: Path) -> None:
    (plant / "half_done.py").write_text("VALUE = 1\n")
    with pytest.raises(
        ServiceRegistrationError, match=r"grpc_server\.servicers\.half_done defines"
    ):
        discover(PACKAGE)


def test_a_service_registered_twice_is_refused(plant: Path) -> None:
    (plant / "listings_again.py").write_text(
        "from grpc_server.servicers.listings import REGISTRATION\n"
    )
    with pytest.raises(
        ServiceRegistrationError, match=r"more than one.*wonder\.v1\.ListingService"
    ):
        discover(PACKAGE)


async def test_a_discovered_service_is_served_with_its_scope_health_and_reflection(
    plant: Path,
    sessions: sessionmaker[Session],
    database_url: str,
    start_grpc_server: StartServer,
) -> None:
    (plant / "planted_sync.py").write_text(PLANTED_SYNC)
    found = discover(PACKAGE)
    running = await start_grpc_server(
        platform_settings(database_url),
        registrar=registrar(found),
        method_scopes=method_scopes(r.descriptor for r in found),
    )
    platform = Platform(running.server, running.port, running.deps, sessions)
    sync_reader = platform.issue("sync-reader", "sync:read")
    listing_reader = platform.issue("listing-reader", "listings:read")

    async with grpc.aio.insecure_channel(platform.target) as channel:
        ping = channel.unary_unary(
            "/test.v1.PlantedSync/Ping",
            request_serializer=empty_pb2.Empty.SerializeToString,
            response_deserializer=empty_pb2.Empty.FromString,
        )
        assert await ping(empty_pb2.Empty(), metadata=bearer(sync_reader), timeout=10) == (
            empty_pb2.Empty()
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await ping(empty_pb2.Empty(), metadata=bearer(listing_reader), timeout=10)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED

        health = health_pb2_grpc.HealthStub(channel)
        for service in ("test.v1.PlantedSync", "wonder.v1.ListingService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING

        async def list_services() -> object:
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = [r async for r in stub.ServerReflectionInfo(list_services(), timeout=10)]
    names = {s.name for s in responses[0].list_services_response.service}
    assert names == {r.full_name for r in grpc_server.servicers.REGISTRATIONS} | {
        "test.v1.PlantedSync",
        "wonder.v1.ListingService",
        "wonder.v1.MessageService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }
