"""Server credentials from settings: insecure, TLS, or mutual TLS when a client CA is configured."""

from __future__ import annotations

from typing import Literal

import grpc

from wonder.settings import GrpcSettings

TlsMode = Literal["insecure", "tls", "mutual-tls"]


class TlsConfigError(ValueError):
    pass


def tls_mode(settings: GrpcSettings) -> TlsMode:
    has_cert = settings.tls_cert_file is not None
    has_key = settings.tls_key_file is not None
    if has_cert != has_key:
        raise TlsConfigError("set both grpc.tls_cert_file and grpc.tls_key_file, or neither")
    if not has_cert:
        if settings.tls_client_ca_file is not None:
            raise TlsConfigError("grpc.tls_client_ca_file needs a server certificate and key")
        return "insecure"
    return "mutual-tls" if settings.tls_client_ca_file is not None else "tls"


def server_credentials(settings: GrpcSettings) -> grpc.ServerCredentials | None:
    """None for an insecure port; with a client CA, clients must present a certificate it signed."""
    mode = tls_mode(settings)
    if mode == "insecure":
        return None
    assert settings.tls_cert_file is not None
    assert settings.tls_key_file is not None
    key = settings.tls_key_file.read_bytes()
    chain = settings.tls_cert_file.read_bytes()
    if mode == "tls":
        return grpc.ssl_server_credentials([(key, chain)])
    assert settings.tls_client_ca_file is not None
    return grpc.ssl_server_credentials(
        [(key, chain)],
        root_certificates=settings.tls_client_ca_file.read_bytes(),
        require_client_auth=True,
    )
