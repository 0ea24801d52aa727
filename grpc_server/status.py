"""The one table from the platform's errors (:mod:`wonder.errors`) to gRPC statuses.

Servicers and domain code raise plain exceptions; the error-mapping interceptor turns them into
statuses with AIP-193 rich details (BadRequest, ResourceInfo, PreconditionFailure, ErrorInfo), so
no servicer handles errors itself. Everything echoed is bounded: statuses travel in trailers,
which clients refuse past a few KiB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from sqlalchemy.exc import DBAPIError

from wonder.errors import (
    MAX_NAMES_SHOWN,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PlatformError,
    Unavailable,
    echo,
)

Context = grpc.aio.ServicerContext[Any, Any]

MAX_MESSAGE_CHARS = 1000
ERROR_DOMAIN = "wonderstreet.example"
_QUERY_CANCELED = "57014"  # PostgreSQL SQLSTATE, raised when statement_timeout fires


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def _packed(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _invalid_argument(error: InvalidArgument) -> status_pb2.Status:
    violation = error_details_pb2.BadRequest.FieldViolation(
        field=_bounded(error.field), description=_bounded(error.description)
    )
    return status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message=_bounded(f"invalid {error.field}: {error.description}"),
        details=[_packed(error_details_pb2.BadRequest(field_violations=[violation]))],
    )


def _not_found(error: NotFound) -> status_pb2.Status:
    details = [
        _packed(
            error_details_pb2.ResourceInfo(
                resource_type=error.resource_type,
                resource_name=_bounded(name),
                description=f"no {error.resource_type} named {echo(name)}",
            )
        )
        for name in error.names[:MAX_NAMES_SHOWN]
    ]
    return status_pb2.Status(code=code_pb2.NOT_FOUND, message=_bounded(str(error)), details=details)


def _failed_precondition(error: FailedPrecondition) -> status_pb2.Status:
    violation = error_details_pb2.PreconditionFailure.Violation(
        type="STATE", subject=_bounded(error.subject), description=_bounded(error.description)
    )
    return status_pb2.Status(
        code=code_pb2.FAILED_PRECONDITION,
        message=_bounded(str(error)),
        details=[_packed(error_details_pb2.PreconditionFailure(violations=[violation]))],
    )


def _conflict(error: Conflict) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(
        reason="CONFLICT", domain=ERROR_DOMAIN, metadata={"subject": _bounded(error.subject)}
    )
    return status_pb2.Status(
        code=code_pb2.ABORTED, message=_bounded(str(error)), details=[_packed(info)]
    )


def _unavailable(error: Unavailable) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(
        reason="DEPENDENCY_UNAVAILABLE",
        domain=ERROR_DOMAIN,
        metadata={"service": _bounded(error.service)},
    )
    return status_pb2.Status(
        code=code_pb2.UNAVAILABLE,
        message=_bounded(f"{error}; retry later"),
        details=[_packed(info)],
    )


# Most specific class first: the first entry the error is an instance of wins.
STATUS_TABLE: tuple[tuple[type[PlatformError], Callable[[Any], status_pb2.Status]], ...] = (
    (InvalidArgument, _invalid_argument),
    (NotFound, _not_found),
    (FailedPrecondition, _failed_precondition),
    (Conflict, _conflict),
    (Unavailable, _unavailable),
)


def status_of(error: PlatformError) -> status_pb2.Status:
    for kind, build in STATUS_TABLE:
        if isinstance(error, kind):
            return build(error)
    raise AssertionError(f"{type(error).__name__} has no status")  # pragma: no cover


async def abort_with(context: Context, error: PlatformError) -> NoReturn:
    await context.abort_with_status(rpc_status.to_status(status_of(error)))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


def is_statement_timeout(error: BaseException) -> bool:
    """The query outlived the caller's deadline (PostgreSQL's statement_timeout fired)."""
    return (
        isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) == _QUERY_CANCELED
    )
