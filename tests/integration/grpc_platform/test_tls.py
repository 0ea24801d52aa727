"""TLS and mutual TLS with certificates generated at test time."""

from __future__ import annotations

from pathlib import Path

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import Engine

from grpc_server.tls import TlsConfigError, tls_mode
from tests.integration.grpc_platform.certs import Pem, TlsFiles, make_tls_files
from tests.integration.grpc_platform.conftest import MakePlatform
from tests.integration.grpc_platform.probe_service import bearer, unary
from wonder.settings import GrpcSettings


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """TLS does not depend on the database dialect: SQLite only."""
    return sqlite_engine


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def credentials(tls: TlsFiles, client: Pem | None = None) -> grpc.ChannelCredentials:
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=tls.ca.cert)
    return grpc.ssl_channel_credentials(
        root_certificates=tls.ca.cert, private_key=client.key, certificate_chain=client.cert
    )


async def health_status(target: str, creds: grpc.ChannelCredentials) -> int:
    async with grpc.aio.secure_channel(target, creds) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10
        )
    return reply.status


async def test_tls_serves_verified_clients_and_refuses_plaintext(
    make_platform: MakePlatform, tls: TlsFiles
) -> None:
    platform = await make_platform(
        tls_cert_file=tls.server_cert_file, tls_key_file=tls.server_key_file
    )
    assert platform.server.tls_mode == "tls"
    assert await health_status(platform.target, credentials(tls)) == (
        health_pb2.HealthCheckResponse.SERVING
    )
    token = platform.issue("reporting", "listings:read")
    async with grpc.aio.secure_channel(platform.target, credentials(tls)) as channel:
        reply = await unary(channel, "Whoami")(b"", metadata=bearer(token), timeout=10)
    assert reply.split()[0] == b"reporting"
    async with grpc.aio.insecure_channel(platform.target) as plaintext:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await health_pb2_grpc.HealthStub(plaintext).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_requires_a_client_certificate_from_the_ca(
    make_platform: MakePlatform, tls: TlsFiles
) -> None:
    platform = await make_platform(
        tls_cert_file=tls.server_cert_file,
        tls_key_file=tls.server_key_file,
        tls_client_ca_file=tls.ca_file,
    )
    assert platform.server.tls_mode == "mutual-tls"
    serving = health_pb2.HealthCheckResponse.SERVING
    assert await health_status(platform.target, credentials(tls, tls.client)) == serving
    for refused in (credentials(tls), credentials(tls, tls.stranger)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await health_status(platform.target, refused)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_half_configured_tls_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TlsConfigError):
        tls_mode(GrpcSettings(tls_cert_file=tmp_path / "server.pem"))
    with pytest.raises(TlsConfigError):
        tls_mode(GrpcSettings(tls_client_ca_file=tmp_path / "ca.pem"))
