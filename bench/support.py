"""What every benchmark needs: progress lines, a scratch database, child processes.

Every component under test runs in its own process (sandbox, ingest, gRPC server, load
generator) so the CPU and memory of one are never counted in another's figures. Starting,
waiting for and stopping them is devstack.processes (shared with the demo): each child runs in
its own session and is stopped with everything it started; long-running ones log to
var/bench/logs/.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from devstack.processes import ManagedProcess, free_port, new_tag, spawn, stop_tree, wait_until
from wonder.db.engine import normalize_url

REPO_ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = REPO_ROOT / "var" / "bench" / "logs"
DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_STARTED = time.monotonic()


def progress(message: str) -> None:
    """A timestamped progress line on stderr (tables go to stdout)."""
    print(f"[{time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# -- scratch PostgreSQL database -------------------------------------------------------------


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://...`` → ``postgresql://...`` (what psycopg.connect accepts)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


@dataclass(frozen=True)
class ScratchDatabase:
    name: str
    url: str  # SQLAlchemy URL (postgresql+psycopg://...)

    @property
    def libpq_url(self) -> str:
        return libpq_url(self.url)


@contextlib.contextmanager
def scratch_database(admin_url: str | None = None) -> Iterator[ScratchDatabase]:
    """A fresh, migrated database next to ``WONDER_TEST_DATABASE_URL``; dropped on exit."""
    from wonder.db.migrate import upgrade

    admin = normalize_url(
        admin_url or os.environ.get("WONDER_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    )
    name = f"wonder_bench_{os.getpid()}_{secrets.token_hex(3)}"
    url = make_url(admin).set(database=name).render_as_string(False)
    with psycopg.connect(libpq_url(admin), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(url)
        yield ScratchDatabase(name, url)
    finally:
        with psycopg.connect(libpq_url(admin), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- child processes --------------------------------------------------------------------------


def child_env(**overrides: str) -> dict[str, str]:
    """This environment plus ``WONDER_*`` overrides; children run from the repository root."""
    env = dict(os.environ)
    env.update(overrides)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass(frozen=True)
class ChildResult:
    returncode: int
    wall_seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr_tail: str


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    on_stderr_line: Callable[[str], None] | None = None,
    timeout: float = 3600.0,
) -> ChildResult:
    """Run a child to completion; its own wall time and peak RSS (``wait4``'s rusage).

    On timeout, or if the wait is interrupted (Ctrl-C), the child's whole tree is stopped.
    """
    started = time.perf_counter()
    tag = new_tag()
    process = spawn(
        argv,
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        tag=tag,
    )
    stdout_parts: list[str] = []
    stderr_tail: list[str] = []

    def read_stdout() -> None:
        assert process.stdout is not None
        stdout_parts.append(process.stdout.read())

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_tail.append(line)
            del stderr_tail[:-40]
            if on_stderr_line is not None:
                on_stderr_line(line.rstrip("\n"))

    readers = [threading.Thread(target=read_stdout), threading.Thread(target=read_stderr)]
    for reader in readers:
        reader.start()
    # By pid, not Popen: the timer only signals; this thread's wait4 reaps the child.
    timer = threading.Timer(timeout, stop_tree, args=(process.pid,), kwargs={"tag": tag})
    timer.start()
    try:
        # wait4 reports this child's own rusage (RUSAGE_CHILDREN would mix in every child).
        _pid, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        stop_tree(process, grace=5.0, tag=tag)
        raise
    finally:
        timer.cancel()
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    with process:  # closes its pipes
        pass
    return ChildResult(
        returncode=process.returncode,
        wall_seconds=wall,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
        stdout="".join(stdout_parts),
        stderr_tail="".join(stderr_tail),
    )


def service(name: str, argv: Sequence[str], env: Mapping[str, str]) -> ManagedProcess:
    """A long-running child (sandbox, gRPC server), logging to ``LOG_DIR``; use it in ``with``."""
    return ManagedProcess(name, argv, env=env, log_dir=LOG_DIR, cwd=REPO_ROOT)


@contextlib.contextmanager
def started(
    name: str, argv: Sequence[str], env: Mapping[str, str], ready: Callable[[ManagedProcess], bool]
) -> Iterator[ManagedProcess]:
    """``service`` once ``ready(process)`` holds (120 s at most, progress lines meanwhile)."""
    with service(name, argv, env) as process:
        wait_until(name, lambda: ready(process), timeout=120, process=process, progress=progress)
        yield process


def receiver_ready(port: int) -> Callable[[ManagedProcess], bool]:
    """``wonder webhooks serve`` is up once it listens."""
    return lambda process: process.listens_on(port)


def answering(url: str) -> Callable[[ManagedProcess], bool]:
    """A sandbox is up once ``url`` answers."""
    return lambda _process: answers(url)


@contextlib.contextmanager
def trestle_sandbox(listings: int) -> Iterator[str]:
    """``wonder sandbox trestle --profile fast`` in its own process; yields its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "wonder.cli", "sandbox", "trestle", "--profile", "fast"]
    argv += ["--listings", str(listings), "--host", "127.0.0.1", "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            httpx.get(f"{base_url}/trestle/odata", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    env = child_env(WONDER_LOG_LEVEL="WARNING")
    with service("trestle sandbox", argv, env) as sandbox:
        wait_until(
            "the trestle sandbox",
            lambda: sandbox.listens_on(port) and ready(),
            timeout=60,
            process=sandbox,
            progress=progress,
        )
        yield base_url


def count_rows(database: ScratchDatabase, *tables: str) -> dict[str, int]:
    with psycopg.connect(database.libpq_url) as connection:
        counts: dict[str, int] = {}
        for table in tables:
            row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


_LOG_PAGE = re.compile(r"(\w+) (\w+): page (\d+) committed, (\d+) records")


def ingest_progress(label: str, total: int, every_seconds: float = 10.0) -> Callable[[str], None]:
    """A stderr-line callback printing the ingest's page log at most every ``every_seconds``."""
    last = [0.0]

    def on_line(line: str) -> None:
        match = _LOG_PAGE.search(line)
        if match is None:
            return
        now = time.monotonic()
        if now - last[0] < every_seconds:
            return
        last[0] = now
        resource, _mode, _pages, records = match.groups()
        progress(f"  {label}: {resource} {int(records):,}/{total:,}")

    return on_line


def answers(url: str) -> bool:
    """Whether anything answers HTTP at ``url`` (any status): a service is up."""
    try:
        httpx.get(url, timeout=1.0)
    except httpx.TransportError:
        return False
    return True


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank ``share`` percentile (0.5 = median) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
