"""Run the gRPC server until SIGTERM/SIGINT: one process, or N workers sharing one port.

With ``settings.grpc.processes > 1`` the parent spawns N worker processes (multiprocessing
"spawn"); each builds its own server on the same port with SO_REUSEPORT, so the kernel spreads
connections across them. The parent forwards SIGTERM/SIGINT to the workers and waits for their
graceful shutdown. A worker that dies on its own is restarted in its place (same index, same
port) while the others keep serving; one that keeps dying (``MAX_RESTARTS`` within
``RESTART_WINDOW_SECONDS``) stops the pool with a non-zero exit, for the outer supervisor. With
``metrics_port`` set, the parent serves the pool's one ``/metrics`` there (every worker's samples,
labelled ``worker``; grpc_server.pool_metrics), each worker exporting on a free port of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.process import BaseProcess
from types import FrameType

from grpc_server.deps import ServerDeps
from grpc_server.metrics import MetricsExporter
from grpc_server.pool_metrics import free_port, start_pool_exporter
from grpc_server.registry import Registrar
from grpc_server.server import create_server
from wonder.db.readiness import DatabaseNotReady, require_ready
from wonder.settings import DEV_PAGE_TOKEN_SECRET, GrpcSettings, Settings

log = logging.getLogger("wonder.grpc.main")

Worker = Callable[[Settings, int], None]
# How long past the grace period the parent waits before killing a worker.
_KILL_MARGIN_SECONDS = 5.0
# A worker that dies this often within the window is crashing on start: stop instead of looping.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0


class StartupError(RuntimeError):
    """The server cannot start as configured; ``str()`` is the one line to show."""


def port_in_use(grpc_settings: GrpcSettings, port: int | None = None) -> StartupError:
    port = grpc_settings.port if port is None else port
    return StartupError(
        f"cannot serve on {grpc_settings.host}:{port}: the port is in use; stop what listens"
        " there, or choose another port (WONDER_GRPC__PORT, or wonder serve --port)"
    )


def check_can_start(settings: Settings) -> None:
    """Before anything starts: the database is migrated and the port is free (StartupError)."""
    try:
        require_ready(settings.database_url)
    except DatabaseNotReady as error:
        raise StartupError(str(error)) from error
    grpc_settings = settings.grpc
    if grpc_settings.port != 0 and not port_is_free(grpc_settings.host, grpc_settings.port):
        raise port_in_use(grpc_settings)


def port_is_free(host: str, port: int) -> bool:
    """Whether every address ``host`` resolves to can bind ``port`` (as gRPC would, with
    SO_REUSEADDR, so a port in TIME_WAIT counts as free). Unresolvable: left to gRPC."""
    try:
        addresses = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        return True
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return False
    return True


def serve(settings: Settings) -> int:
    """Serve until a termination signal; returns the process exit code.

    StartupError, before anything starts, if the database is not ready or the port is taken.
    """
    check_can_start(settings)
    if settings.grpc.page_token_secret.get_secret_value() == DEV_PAGE_TOKEN_SECRET:
        log.warning(
            "WONDER_GRPC__PAGE_TOKEN_SECRET is the development default: anyone who has read "
            "this repository can forge page tokens; set a random secret in production"
        )
    if settings.grpc.processes <= 1:
        asyncio.run(run_server(settings))
        return 0
    pool = WorkerPool(settings)
    pool.start()
    return pool.supervise()


async def run_server(
    settings: Settings,
    *,
    registrar: Registrar | None = None,
    method_scopes: Mapping[str, str] | None = None,
    worker_index: int | None = None,
) -> None:
    """One server in this process: start, wait for SIGTERM/SIGINT, drain, stop."""
    grpc_settings = settings.grpc
    deps = ServerDeps.from_settings(settings)
    try:
        try:
            server, port = create_server(
                settings, deps, registrar=registrar, method_scopes=method_scopes
            )
        except RuntimeError as error:  # grpc: "Failed to bind to address ..."
            if "Failed to bind" not in str(error):
                raise
            raise port_in_use(grpc_settings) from error
        await server.start()
        worker = "" if worker_index is None else f" worker {worker_index}"
        log.info(
            "gRPC server%s listening on %s:%d (%s, pid %d, services: %s)",
            worker,
            grpc_settings.host,
            port,
            server.tls_mode,
            os.getpid(),
            ", ".join(server.services) or "none",
        )
        if server.metrics_exporter is not None:
            log.info(
                "metrics on http://%s:%d/metrics", grpc_settings.host, server.metrics_exporter.port
            )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info(
            "gRPC server%s stopping: draining calls for up to %.1f s",
            worker,
            grpc_settings.shutdown_grace_seconds,
        )
        await server.stop(grpc_settings.shutdown_grace_seconds)
    finally:
        await deps.aclose()


def worker_main(settings: Settings, index: int) -> None:
    """Entry point of a spawned worker process."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format=f"%(asctime)s %(levelname)s [worker {index}] %(name)s: %(message)s",
    )
    asyncio.run(run_server(settings, worker_index=index))


@contextlib.contextmanager
def reserved_port(host: str) -> Iterator[int]:
    """A free port held (bound, not listening) with SO_REUSEPORT so workers can all bind it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


class WorkerPool:
    """N spawned worker processes serving one port."""

    def __init__(self, settings: Settings, worker: Worker = worker_main) -> None:
        self._settings = settings
        self._worker = worker
        self._processes: list[BaseProcess] = []
        self._reservation: contextlib.ExitStack = contextlib.ExitStack()
        self._stopping = False
        self._metrics_ports: list[int] = []
        self._restarts: list[float] = []
        self.restarted = 0
        self.metrics: MetricsExporter | None = None
        self.port: int = settings.grpc.port

    def _spawn(self, index: int) -> BaseProcess:
        """Worker ``index`` on the shared port, exporting metrics on its own port if any."""
        update: dict[str, object] = {"port": self.port}
        if self._metrics_ports:
            update["metrics_port"] = self._metrics_ports[index]
        grpc_settings = self._settings.grpc.model_copy(update=update)
        settings = self._settings.model_copy(update={"grpc": grpc_settings})
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=self._worker, args=(settings, index), name=f"wonder-grpc-{index}"
        )
        process.start()
        return process

    @property
    def pids(self) -> list[int | None]:
        return [p.pid for p in self._processes]

    def start(self) -> int:
        """Spawn the workers; returns the shared port (a free one when settings say 0)."""
        grpc_settings = self._settings.grpc
        processes = grpc_settings.processes
        if self.port == 0:
            self.port = self._reservation.enter_context(reserved_port(grpc_settings.host))
        if grpc_settings.metrics_port is not None:
            self._metrics_ports = [free_port(grpc_settings.host) for _ in range(processes)]
            self.metrics = start_pool_exporter(
                grpc_settings.host, grpc_settings.metrics_port, self._metrics_ports
            )
            log.info("pool metrics on http://%s:%d/metrics", grpc_settings.host, self.metrics.port)
        self._processes = [self._spawn(index) for index in range(processes)]
        log.info(
            "started %d gRPC workers on %s:%d (pids %s)",
            len(self._processes),
            grpc_settings.host,
            self.port,
            ", ".join(str(p.pid) for p in self._processes),
        )
        return self.port

    def supervise(self) -> int:
        """Block until a signal stops the pool or a worker dies; returns the exit code."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not self._stopping:
                if not self.watch(timeout=1.0):
                    self.stop()
                    return 1
            return self.stop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def watch(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for a worker to die and restart it; False: stop the pool."""
        # Sentinels wake us early; is_alive() also catches a death whose sentinel stays open
        # (a grandchild that inherited the worker's end of the pipe).
        multiprocessing.connection.wait([p.sentinel for p in self._processes], timeout=timeout)
        if self._stopping or all(p.is_alive() for p in self._processes):
            return True
        return self._restart_dead()

    def _restart_dead(self) -> bool:
        """Replace each dead worker; False when they die too often to keep restarting."""
        now = time.monotonic()
        for index, process in enumerate(self._processes):
            if process.is_alive() or self._stopping:
                continue
            process.join()
            self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW_SECONDS]
            if len(self._restarts) >= MAX_RESTARTS:
                log.error(
                    "gRPC worker %d (pid %s) exited with code %s, the %d. exit within %.0f s;"
                    " stopping the pool",
                    index,
                    process.pid,
                    process.exitcode,
                    len(self._restarts) + 1,
                    RESTART_WINDOW_SECONDS,
                )
                return False
            self._restarts.append(now)
            self._processes[index] = self._spawn(index)
            self.restarted += 1
            log.error(
                "gRPC worker %d (pid %s) exited unexpectedly with code %s; restarted as pid %s",
                index,
                process.pid,
                process.exitcode,
                self._processes[index].pid,
            )
        return True

    def stop(self) -> int:
        """SIGTERM every worker, wait for the graceful shutdown, kill stragglers."""
        self._stopping = True
        self._signal_workers(signal.SIGTERM)
        deadline = (
            time.monotonic() + self._settings.grpc.shutdown_grace_seconds + _KILL_MARGIN_SECONDS
        )
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("gRPC worker pid %s did not stop in time: killing it", process.pid)
                process.kill()
                process.join()
        self._reservation.close()
        if self.metrics is not None:
            self.metrics.close()
            self.metrics = None
        codes = [p.exitcode for p in self._processes]
        return 0 if all(code == 0 for code in codes) else 1

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        self._signal_workers(signum)

    def _signal_workers(self, signum: int) -> None:
        for process in self._processes:
            if process.pid is not None and process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signum)
