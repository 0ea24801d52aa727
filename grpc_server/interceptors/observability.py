"""Outermost interceptor: one access-log line and the Prometheus series for every call.

The log line is key=value (method, consumer, code, duration_ms, peer) at INFO on the
``wonder.grpc.access`` logger; the token never appears in it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import grpc.aio

from grpc_server.auth import current_principal
from grpc_server.call_info import CallInfo, current_call
from grpc_server.interceptors._wrap import AroundInterceptor
from grpc_server.metrics import ServerMetrics

access_log = logging.getLogger("wonder.grpc.access")
# A cancellation this close to the caller's deadline is the deadline (clocks differ slightly).
DEADLINE_MARGIN_SECONDS = 0.02


class DemoteFinishedCallRace(logging.Filter):
    """grpcio logs ERROR when a response meets a call core has just ended (deadline passed or
    client gone between the handler's return and the send): a race, not a server fault. The
    access line already names the call's code; keep grpcio's line, as a warning.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith(
            "ExecuteBatchError raised in core"
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def install_race_filter() -> None:
    core_log = logging.getLogger("grpc._cython.cygrpc")
    if not any(isinstance(f, DemoteFinishedCallRace) for f in core_log.filters):
        core_log.addFilter(DemoteFinishedCallRace())


def format_access_line(
    method: str, consumer: str | None, code: grpc.StatusCode, duration_ms: float, peer: str
) -> str:
    return (
        f"method={method} consumer={consumer or '-'} code={code.name}"
        f" duration_ms={duration_ms:.2f} peer={peer or '-'}"
    )


class ObservabilityInterceptor(AroundInterceptor):
    def __init__(self, metrics: ServerMetrics) -> None:
        self._metrics = metrics

    @asynccontextmanager
    async def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        # Each RPC runs in its own task (own context): the auth layer inside fills this in.
        current_principal.set(None)
        # Read the context now: after a cancelled stream, context.peer() can crash the process.
        call = CallInfo.capture(method, context)
        current_call.set(call)
        metrics = self._metrics
        in_flight = metrics.in_flight.labels(method)
        in_flight.inc()
        started = time.perf_counter()
        code = grpc.StatusCode.UNKNOWN
        try:
            yield
            code = context.code() or grpc.StatusCode.OK
        except grpc.aio.AbortError:
            # An abort on a call that has just expired may leave no code on the context.
            code = context.code() or (
                grpc.StatusCode.DEADLINE_EXCEEDED
                if call.expired(margin=DEADLINE_MARGIN_SECONDS)
                else grpc.StatusCode.UNKNOWN
            )
            raise
        except (asyncio.CancelledError, GeneratorExit):
            # gRPC cancels the handler when the deadline passes as well as when the client goes;
            # core's timer and our clock may differ by a little, hence the margin.
            code = (
                grpc.StatusCode.DEADLINE_EXCEEDED
                if call.expired(margin=DEADLINE_MARGIN_SECONDS)
                else grpc.StatusCode.CANCELLED
            )
            raise
        except grpc.aio.InternalError:
            # Core ended the call (deadline or client gone) while we were answering it, so the
            # abort or the response could not be sent (ExecuteBatchError).
            code = (
                grpc.StatusCode.DEADLINE_EXCEEDED
                if call.expired(margin=DEADLINE_MARGIN_SECONDS)
                else grpc.StatusCode.CANCELLED
            )
            raise
        finally:
            elapsed = time.perf_counter() - started
            in_flight.dec()
            metrics.handled.labels(method, code.name).inc()
            metrics.latency.labels(method).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):  # servers at WARNING format no line
                principal = current_principal.get()
                access_log.info(
                    "%s",
                    format_access_line(
                        method,
                        principal.name if principal else None,
                        code,
                        elapsed * 1000,
                        call.peer,
                    ),
                )
