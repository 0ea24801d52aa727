"""Caller mistakes and missing resources -> gRPC statuses with rich details (AIP-193).

Servicers raise plain exceptions (:class:`wonder.listings.query.InvalidArgument`,
:class:`wonder.pagetoken.PageTokenError`, :class:`NotFound`) and wrap their body in
:func:`translated_errors`. Database outages are deliberately not handled here: they propagate to
the server's interceptor, which answers UNAVAILABLE.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from sqlalchemy.exc import DBAPIError

from grpc_server.call_info import current_call
from wonder.listings.query import InvalidArgument, echo
from wonder.pagetoken import PageTokenError

Context = grpc.aio.ServicerContext[Any, Any]

# One ResourceInfo per missing name, for the first few, is plenty for a consumer to act on; the
# status travels in trailers, which clients refuse past a few KiB, so everything echoed is cut.
MAX_NOT_FOUND_DETAILS = 10
MAX_MESSAGE_CHARS = 1000
_QUERY_CANCELED = "57014"  # PostgreSQL SQLSTATE, raised when statement_timeout fires


class NotFound(Exception):
    """One or more requested resources do not exist."""

    def __init__(self, resource_type: str, names: Sequence[str]) -> None:
        shown = ", ".join(echo(name) for name in names[:MAX_NOT_FOUND_DETAILS])
        more = len(names) - MAX_NOT_FOUND_DETAILS
        super().__init__(
            f"{resource_type} not found: {shown}" + (f" and {more} more" if more > 0 else "")
        )
        self.resource_type = resource_type
        self.names = list(names)


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def _packed(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


async def abort_invalid_argument(context: Context, field: str, description: str) -> NoReturn:
    violation = error_details_pb2.BadRequest.FieldViolation(
        field=_bounded(field), description=_bounded(description)
    )
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message=_bounded(f"invalid {field}: {description}"),
        details=[_packed(error_details_pb2.BadRequest(field_violations=[violation]))],
    )
    await context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


async def abort_not_found(context: Context, error: NotFound) -> NoReturn:
    details = [
        _packed(
            error_details_pb2.ResourceInfo(
                resource_type=error.resource_type,
                resource_name=_bounded(name),
                description=f"no {error.resource_type} named {echo(name)}",
            )
        )
        for name in error.names[:MAX_NOT_FOUND_DETAILS]
    ]
    status = status_pb2.Status(code=code_pb2.NOT_FOUND, message=str(error), details=details)
    await context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


def is_statement_timeout(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == _QUERY_CANCELED


@asynccontextmanager
async def translated_errors(context: Context) -> AsyncIterator[None]:
    """Turn the exceptions servicers raise into the statuses consumers rely on."""
    try:
        yield
    except InvalidArgument as error:
        await abort_invalid_argument(context, error.field, error.description)
    except PageTokenError as error:
        await abort_invalid_argument(context, "page_token", str(error))
    except NotFound as error:
        await abort_not_found(context, error)
    except DeadlineExpired:
        await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
    except DBAPIError as error:
        if is_statement_timeout(error):
            # The query outlived the caller's deadline: say so, rather than "unavailable".
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        raise


def remaining_seconds(context: Context) -> float | None:
    """Seconds left before the caller's deadline (None: no deadline). Expired: DeadlineExpired."""
    call = current_call.get()
    # The snapshot taken when the call started: the context is not asked again (see call_info).
    remaining = call.remaining() if call is not None else context.time_remaining()
    if remaining is not None and remaining <= 0:
        raise DeadlineExpired
    return remaining


class DeadlineExpired(Exception):
    """The caller's deadline passed before the work started."""
