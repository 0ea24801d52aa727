"""Method scopes come from the ``(wonder.v1.required_scope)`` option, with no default.

A method that declares no scope, or a scope tokens cannot be issued with, is refused with an
error naming the method (the server then refuses to start). Descriptors are built in a private
pool, so nothing here touches the services the server registers.
"""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2
from google.protobuf.descriptor import ServiceDescriptor

from grpc_server.registry import ServiceRegistrationError, method_scopes
from wonder.auth.scopes import KNOWN_SCOPES
from wonder.v1 import listing_service_pb2, options_pb2

# Method name -> its declared scope; None: the rpc has no option at all.
Declared = dict[str, str | None]


def service(declared: Declared, name: str = "Planted") -> ServiceDescriptor:
    """A ``test.v1.<name>`` service with one Empty -> Empty method per entry of ``declared``."""
    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, empty_pb2, options_pb2):
        dependency = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(dependency)
        pool.Add(dependency)
    file = descriptor_pb2.FileDescriptorProto(
        name="test/v1/planted.proto",
        package="test.v1",
        syntax="proto3",
        dependency=["google/protobuf/empty.proto", "wonder/v1/options.proto"],
    )
    proto = file.service.add(name=name)
    for method_name, scope in declared.items():
        method = proto.method.add(
            name=method_name,
            input_type=".google.protobuf.Empty",
            output_type=".google.protobuf.Empty",
        )
        if scope is not None:
            method.options.Extensions[options_pb2.required_scope] = scope
    pool.Add(file)
    found: ServiceDescriptor = pool.FindServiceByName(f"test.v1.{name}")
    return found


def test_declared_scopes_are_read_per_method() -> None:
    planted = service({"GetThing": "sync:read", "WriteThing": "sync:write"})
    assert dict(method_scopes([planted])) == {
        "/test.v1.Planted/GetThing": "sync:read",
        "/test.v1.Planted/WriteThing": "sync:write",
    }


def test_a_method_without_the_option_is_refused_by_name() -> None:
    planted = service({"GetThing": "sync:read", "Forgotten": None})
    with pytest.raises(ServiceRegistrationError) as caught:
        method_scopes([planted])
    message = str(caught.value)
    assert "/test.v1.Planted/Forgotten declares no (wonder.v1.required_scope) option" in message
    assert "GetThing" not in message


@pytest.mark.parametrize("scope", ["sync:admin", "", "listings:read "])
def test_a_scope_tokens_cannot_have_is_refused_by_name(scope: str) -> None:
    assert scope not in KNOWN_SCOPES
    planted = service({"GetThing": scope})
    with pytest.raises(ServiceRegistrationError) as caught:
        method_scopes([planted])
    assert f"/test.v1.Planted/GetThing requires unknown scope {scope!r}" in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    first = service({"Forgotten": None}, name="First")
    second = service({"Unknown": "nope:read", "Fine": "messages:label"}, name="Second")
    with pytest.raises(ServiceRegistrationError) as caught:
        method_scopes([first, second])
    message = str(caught.value)
    assert "/test.v1.First/Forgotten" in message
    assert "/test.v1.Second/Unknown" in message
    assert "Fine" not in message


def test_scopes_are_checked_against_the_given_known_set() -> None:
    planted = service({"GetThing": "sync:read"})
    with pytest.raises(ServiceRegistrationError):
        method_scopes([planted], known=frozenset({"listings:read"}))


def test_the_listing_service_declares_a_scope_on_every_method() -> None:
    listing_service = listing_service_pb2.DESCRIPTOR.services_by_name["ListingService"]
    scopes = method_scopes([listing_service])
    assert len(scopes) == len(listing_service.methods) == 8
    assert set(scopes.values()) == {"listings:read"}
