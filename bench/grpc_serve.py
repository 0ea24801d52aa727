"""Server process of the gRPC benchmarks: ``python -m bench.grpc_serve``.

The production entry (``grpc_server.main``: settings from ``WONDER_*``, one process or a
SO_REUSEPORT worker pool of ``WONDER_GRPC__PROCESSES``) with the reference method added.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from bench.reference_service import SCOPES_WITH_REFERENCE, register_with_reference
from grpc_server.main import WorkerPool, run_server
from wonder.settings import Settings


def worker(settings: Settings, index: int) -> None:
    """One server (module level so a spawned worker process can import it)."""
    logging.basicConfig(level=settings.log_level.upper())
    asyncio.run(
        run_server(
            settings,
            registrar=register_with_reference,
            method_scopes=SCOPES_WITH_REFERENCE,
            worker_index=index,
        )
    )


def main() -> int:
    settings = Settings()
    if settings.grpc.processes <= 1:
        worker(settings, 0)
        return 0
    pool = WorkerPool(settings, worker=worker)
    pool.start()
    return pool.supervise()


if __name__ == "__main__":
    sys.exit(main())
