"""Server interceptors, outermost first: observability, error mapping, auth."""

from grpc_server.interceptors.auth import AuthInterceptor
from grpc_server.interceptors.errors import ErrorMappingInterceptor, is_database_outage
from grpc_server.interceptors.observability import ObservabilityInterceptor

__all__ = [
    "AuthInterceptor",
    "ErrorMappingInterceptor",
    "ObservabilityInterceptor",
    "is_database_outage",
]
