"""Standard health (grpc.health.v1) driven by database reachability.

Every service the server exposes needs the database, so a background task runs ``SELECT 1`` (with
a short timeout) every few seconds and flips the overall status ("") and each service's status
between SERVING and NOT_SERVING. On shutdown everything turns NOT_SERVING first so load balancers
drain the server before it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("wonder.grpc.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

Probe = Callable[[], Awaitable[None]]


async def probe_database(engine: AsyncEngine, timeout_seconds: float) -> None:
    """Raise unless ``SELECT 1`` answers within the timeout."""
    async with asyncio.timeout(timeout_seconds), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


class DatabaseHealth:
    """Owns the health servicer's statuses and the background probe loop."""

    def __init__(
        self,
        servicer: HealthServicer,
        services: Sequence[str],
        probe: Probe,
        interval_seconds: float,
    ) -> None:
        self.servicer = servicer
        self._services = ("", *services)
        self._probe = probe
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self.serving: bool | None = None

    async def check_once(self) -> bool:
        try:
            await self._probe()
        except Exception as error:  # any failure means "not serving"; the reason goes to the log
            healthy = False
            reason = error.__class__.__name__
        else:
            healthy = True
            reason = ""
        if healthy != self.serving:
            if healthy:
                log.info("database reachable: SERVING")
            else:
                log.warning("database unreachable (%s): NOT_SERVING", reason)
            await self._set_all(SERVING if healthy else NOT_SERVING)
            self.serving = healthy
        return healthy

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="grpc-database-health"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def shutdown(self) -> None:
        """Stop probing and report NOT_SERVING for good."""
        await self.stop()
        await self.servicer.enter_graceful_shutdown()
        self.serving = False

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.check_once()

    async def _set_all(
        self, status: health_pb2.HealthCheckResponse.ServingStatus.ValueType
    ) -> None:
        for service in self._services:
            await self.servicer.set(service, status)
