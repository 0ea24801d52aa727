"""The one place exceptions become gRPC statuses.

The platform's errors (:mod:`wonder.errors`) → their status from the one table in
:mod:`grpc_server.status`; an expired deadline or a statement timeout → DEADLINE_EXCEEDED; what
the database refuses in a request → INVALID_ARGUMENT; database outages → UNAVAILABLE ("retry
later"); anything else unexpected → INTERNAL with a generic message. The caller never sees SQL,
driver messages or secrets; the server log has the details. Statuses a servicer sets on purpose
(``context.abort``) pass through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import grpc.aio
from sqlalchemy import exc as sa_exc

from grpc_server.call_info import DeadlineExpired
from grpc_server.interceptors._wrap import AroundInterceptor
from grpc_server.status import abort_with, is_statement_timeout
from wonder.errors import PlatformError

log = logging.getLogger("wonder.grpc.errors")

UNAVAILABLE_MESSAGE = "the database is unavailable; retry later"
REQUEST_REFUSED_MESSAGE = "the database cannot evaluate a value or expression in this request"
INTERNAL_MESSAGE = "internal error"
_MAX_CHAIN = 8


# SQLite reports an over-complex statement as OperationalError, the class of its outages too.
_SQLITE_REQUEST_ERRORS = ("parser stack overflow", "expression tree is too large", "too many")


def is_caused_by_request(error: BaseException) -> bool:
    """True when the database refused what the request asked (a retry would fail the same way).

    The parsers bound every literal and the filter's depth, so this is the backstop: PostgreSQL
    data exceptions (SQLSTATE class 22: out-of-range numbers and times, NUL in text), values no
    driver can bind, and SQLite's parser limits. A caller's mistake is never UNAVAILABLE.
    """
    if isinstance(error, sa_exc.DataError):
        return True
    # Binding a value (OverflowError, decimal.InvalidOperation: both ArithmeticError).
    if isinstance(error, sa_exc.StatementError) and isinstance(error.orig, ArithmeticError):
        return True
    if isinstance(error, sa_exc.OperationalError):
        message = str(error.orig).lower()
        return any(marker in message for marker in _SQLITE_REQUEST_ERRORS)
    return False


def is_database_outage(error: BaseException) -> bool:
    """True for failures that a retry after the database comes back would fix."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < _MAX_CHAIN:
        if _is_outage_itself(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def _is_outage_itself(error: BaseException) -> bool:
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    # Pool checkout timeout (every connection busy or hanging on connect).
    if isinstance(error, sa_exc.TimeoutError):
        return True
    # ConnectionRefusedError and other socket errors from drivers; asyncio.TimeoutError is
    # TimeoutError (an OSError) since Python 3.11.
    return isinstance(error, OSError)


class ErrorMappingInterceptor(AroundInterceptor):
    @asynccontextmanager
    async def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        try:
            yield
        except grpc.aio.AbortError:
            raise
        except PlatformError as error:
            await abort_with(context, error)
        except DeadlineExpired:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        except Exception as error:
            if is_statement_timeout(error):
                # The query outlived the caller's deadline: say so, rather than "unavailable".
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
            if is_caused_by_request(error):
                log.warning(
                    "request refused by the database in %s: %s",
                    method,
                    type(getattr(error, "orig", error)).__name__,
                )
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, REQUEST_REFUSED_MESSAGE)
            if is_database_outage(error):
                log.warning("database unavailable during %s: %s", method, error.__class__.__name__)
                await context.abort(grpc.StatusCode.UNAVAILABLE, UNAVAILABLE_MESSAGE)
            log.exception("unhandled error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)
