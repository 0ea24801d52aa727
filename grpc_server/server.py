"""The server factory: ``create_server(settings, deps) -> (server, port)``.

It builds a ``grpc.aio`` server with the platform's interceptors (observability outermost, then
error mapping, then auth), keepalive and message-size options, standard health driven by database
reachability, reflection (v1 and v1alpha) of every registered service, and the wonder.v1 servicers
(``grpc_server.servicers.register_all``: one per module of that package, see
:mod:`grpc_server.registry`). Call it inside a running event loop, then ``await server.start()``;
``await server.stop(grace)`` reports NOT_SERVING, drains in-flight calls for ``grace`` seconds
and stops the metrics exporter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from grpc_server.deps import ServerDeps
from grpc_server.health import DatabaseHealth, probe_database
from grpc_server.interceptors import (
    AuthInterceptor,
    ErrorMappingInterceptor,
    ObservabilityInterceptor,
    RequestGuardInterceptor,
    StreamBudget,
    StreamLimitInterceptor,
)
from grpc_server.interceptors.observability import install_race_filter
from grpc_server.metrics import MetricsExporter, ReadPoolCollector, ServerMetrics
from grpc_server.reflection import enable_reflection
from grpc_server.registry import Registrar
from grpc_server.servicers import METHOD_SCOPES, register_all
from grpc_server.tls import TlsMode, server_credentials, tls_mode
from wonder.auth.verifier import TokenVerifier
from wonder.settings import GrpcSettings, Settings

log = logging.getLogger("wonder.grpc.server")

MAX_SEND_MESSAGE_BYTES = 16 * 1024 * 1024
# Clients may ping at most this often; faster pingers get GOAWAY (too_many_pings).
MIN_CLIENT_PING_INTERVAL_MS = 10_000


def server_options(settings: GrpcSettings) -> list[tuple[str, Any]]:
    return [
        ("grpc.keepalive_time_ms", settings.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", settings.keepalive_timeout_ms),
        # Keep probing idle connections too, so dead peers are noticed between calls.
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", MIN_CLIENT_PING_INTERVAL_MS),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.max_receive_message_length", settings.max_request_bytes),
        ("grpc.max_send_message_length", MAX_SEND_MESSAGE_BYTES),
        # Only worker processes share a port; a single server must fail on a port in use.
        ("grpc.so_reuseport", 1 if settings.processes > 1 else 0),
    ]


class PlatformServer(grpc.aio.Server):
    """A ``grpc.aio.Server`` that also owns its health probe and metrics exporter."""

    def __init__(
        self,
        inner: grpc.aio.Server,
        settings: Settings,
        health: DatabaseHealth,
        metrics: ServerMetrics,
        services: Sequence[str],
        tls: TlsMode,
        streams: StreamBudget,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.health = health
        self.metrics = metrics
        self.services = tuple(services)
        self.tls_mode = tls
        self.metrics_exporter: MetricsExporter | None = None
        self.streams = streams

    def add_generic_rpc_handlers(
        self, generic_rpc_handlers: Iterable[grpc.GenericRpcHandler]
    ) -> None:
        self.inner.add_generic_rpc_handlers(generic_rpc_handlers)

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        self.inner.add_registered_method_handlers(service_name, method_handlers)

    def add_insecure_port(self, address: str) -> int:
        return self.inner.add_insecure_port(address)

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        return self.inner.add_secure_port(address, server_credentials)

    async def start(self) -> None:
        grpc_settings = self.settings.grpc
        if grpc_settings.metrics_port is not None and self.metrics_exporter is None:
            self.metrics_exporter = MetricsExporter(
                self.metrics.registry, grpc_settings.host, grpc_settings.metrics_port
            )
        await self.health.check_once()
        await self.inner.start()
        self.health.start()

    async def stop(self, grace: float | None) -> None:
        await self.health.shutdown()
        await self.inner.stop(grace)
        exporter, self.metrics_exporter = self.metrics_exporter, None
        if exporter is not None:
            exporter.close()

    async def wait_for_termination(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        return await self.inner.wait_for_termination(timeout)


def create_server(
    settings: Settings,
    deps: ServerDeps,
    *,
    registrar: Registrar | None = None,
    method_scopes: Mapping[str, str] | None = None,
    verifier: TokenVerifier | None = None,
) -> tuple[PlatformServer, int]:
    """Build and bind the server; port 0 picks a free port. Returns (server, bound port).

    ``registrar``/``method_scopes`` default to grpc_server.servicers; tests may pass their own.
    """
    grpc_settings = settings.grpc
    install_race_filter()
    if registrar is None and method_scopes is None:
        registrar, method_scopes = register_all, METHOD_SCOPES
    metrics = ServerMetrics.create()
    if deps.read_pool is not None:
        metrics.registry.register(ReadPoolCollector(deps.read_pool.stats))
    if verifier is None:
        verifier = TokenVerifier(sessions=lambda: deps.sessions, clock=deps.clock)
    streams = StreamBudget(grpc_settings.max_streams, grpc_settings.max_streams_per_consumer)
    inner = grpc.aio.server(
        # Outermost first. Every service added later inherits all of these.
        interceptors=[
            ObservabilityInterceptor(metrics),
            ErrorMappingInterceptor(),
            AuthInterceptor(verifier, method_scopes or {}),
            StreamLimitInterceptor(streams, grpc_settings.stream_write_timeout_seconds),
            RequestGuardInterceptor(grpc_settings.max_request_field_chars),
        ],
        options=server_options(grpc_settings),
    )
    services = registrar(inner, deps) if registrar is not None else []

    health_servicer = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, inner)
    timeout = grpc_settings.health_check_timeout_seconds
    health = DatabaseHealth(
        health_servicer,
        services,
        probe=lambda: probe_database(deps.health_engine or deps.engine, timeout),
        interval_seconds=grpc_settings.health_check_interval_seconds,
    )
    health_name: str = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    enable_reflection([*services, health_name], inner)

    mode = tls_mode(grpc_settings)
    address = f"{grpc_settings.host}:{grpc_settings.port}"
    credentials = server_credentials(grpc_settings)
    if credentials is None:
        port = inner.add_insecure_port(address)
    else:
        port = inner.add_secure_port(address, credentials)
    server = PlatformServer(inner, settings, health, metrics, services, mode, streams)
    return server, port
