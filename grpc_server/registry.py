"""How a gRPC service joins the server: each servicer module declares its own registration.

Every public module of ``grpc_server/servicers/`` (any name not starting with ``_``) ends with
one ``REGISTRATION``; the package finds them all with :func:`discover`, so a new service is a new
file and no list is edited::

    REGISTRATION = ServiceRegistration(
        descriptor=sync_service_pb2.DESCRIPTOR.services_by_name["SyncService"],
        factory=SyncServicer,  # (ServerDeps) -> servicer
        add_to_server=sync_service_pb2_grpc.add_SyncServiceServicer_to_server,
    )

The scope each method needs is declared in the proto (``option (wonder.v1.required_scope) =
"sync:read";``, see ``protos/wonder/v1/options.proto``) and read from the descriptors by
:func:`method_scopes`: a method without the option, or with a scope tokens cannot be issued with
(``wonder.auth.scopes.KNOWN_SCOPES``), stops the server from starting.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import grpc.aio
from google.protobuf.descriptor import ServiceDescriptor

from grpc_server.deps import ServerDeps
from wonder.auth.scopes import KNOWN_SCOPES
from wonder.v1 import options_pb2

# (server, deps) -> the full names of the services it added (for health and reflection).
Registrar = Callable[[grpc.aio.Server, ServerDeps], list[str]]

_Servicer = TypeVar("_Servicer")
_OPTION = "(wonder.v1.required_scope)"


class ServiceRegistrationError(Exception):
    """The registered services cannot be served as declared: the server refuses to start."""


@dataclass(frozen=True)
class ServiceRegistration(Generic[_Servicer]):
    """One service: its descriptor, how to build its servicer, how to add it to a server."""

    descriptor: ServiceDescriptor
    factory: Callable[[ServerDeps], _Servicer]
    add_to_server: Callable[[_Servicer, grpc.aio.Server], None]

    @property
    def full_name(self) -> str:
        name: str = self.descriptor.full_name
        return name

    def register(self, server: grpc.aio.Server, deps: ServerDeps) -> str:
        self.add_to_server(self.factory(deps), server)
        return self.full_name


def discover(package: str) -> tuple[ServiceRegistration[Any], ...]:
    """The ``REGISTRATION`` of every public module of ``package``, in module-name order."""
    found: list[ServiceRegistration[Any]] = []
    modules = pkgutil.iter_modules(importlib.import_module(package).__path__)
    for info in sorted(modules, key=lambda module: module.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        registration = getattr(module, "REGISTRATION", None)
        if not isinstance(registration, ServiceRegistration):
            raise ServiceRegistrationError(
                f"{module.__name__} defines no REGISTRATION = ServiceRegistration(...): every "
                f"public module of {package} registers one service (name helper modules _*.py)"
            )
        found.append(registration)
    names = [registration.full_name for registration in found]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ServiceRegistrationError(
            f"service(s) registered by more than one module of {package}: {', '.join(duplicates)}"
        )
    return tuple(found)


def method_scopes(
    services: Iterable[ServiceDescriptor], known: frozenset[str] = KNOWN_SCOPES
) -> Mapping[str, str]:
    """Full method path (``/wonder.v1.ListingService/GetListing``) -> the scope it requires.

    Raises ServiceRegistrationError naming every method that declares no scope or one outside
    ``known``: there is no default, a method nobody gave a scope must not be served.
    """
    scopes: dict[str, str] = {}
    problems: list[str] = []
    for service in services:
        for method in service.methods:
            path = f"/{service.full_name}/{method.name}"
            options = method.GetOptions()
            if not options.HasExtension(options_pb2.required_scope):
                problems.append(f"{path} declares no {_OPTION} option")
                continue
            scope = options.Extensions[options_pb2.required_scope]
            if scope not in known:
                problems.append(
                    f"{path} requires unknown scope {scope!r} (known: {', '.join(sorted(known))})"
                )
                continue
            scopes[path] = scope
    if problems:
        raise ServiceRegistrationError(
            "refusing to serve gRPC methods without a valid scope: "
            + "; ".join(problems)
            + f' (declare one with `option {_OPTION} = "<scope>";` on the rpc; new scopes go'
            " in wonder.auth.scopes.KNOWN_SCOPES)"
        )
    return MappingProxyType(scopes)


def registrar(registrations: Sequence[ServiceRegistration[Any]]) -> Registrar:
    """A registrar adding every one of ``registrations`` to a server."""

    def register(server: grpc.aio.Server, deps: ServerDeps) -> list[str]:
        return [registration.register(server, deps) for registration in registrations]

    return register
