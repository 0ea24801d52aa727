"""Server interceptors, outermost first: observability, error mapping, auth, stream limits,
request guard."""

from grpc_server.interceptors.auth import AuthInterceptor
from grpc_server.interceptors.errors import ErrorMappingInterceptor, is_database_outage
from grpc_server.interceptors.observability import ObservabilityInterceptor
from grpc_server.interceptors.request_guard import RequestGuardInterceptor
from grpc_server.interceptors.stream_limits import StreamBudget, StreamLimitInterceptor

__all__ = [
    "AuthInterceptor",
    "ErrorMappingInterceptor",
    "ObservabilityInterceptor",
    "RequestGuardInterceptor",
    "StreamBudget",
    "StreamLimitInterceptor",
    "is_database_outage",
]
