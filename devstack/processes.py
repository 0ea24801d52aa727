"""Child processes of the demo and the benchmarks: start, wait until ready, stop the whole tree.

Each child starts in its own session (so a Ctrl-C in the terminal reaches only the parent, which
then stops the children in order) and writes to its own log file. Stopping a child looks at its
process tree with psutil before the first signal: the child, its children and grandchildren
(Prefect's process worker starts each flow run in a new session, which a process-group signal
alone would orphan), plus any process that still carries the child's tag in its environment (a
grandchild orphaned because its parent died earlier). All of them get SIGTERM; whatever is still
alive after the grace period gets SIGKILL, together with anything they started meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import psutil

HOST = "127.0.0.1"
# Space-separated tags of every devstack process a process descends from (nested supervisors
# append theirs), so a stray descendant can be found after its parent is gone.
TAG_VARIABLE = "DEVSTACK_TAGS"
_POLL = 0.05


class DevstackError(Exception):
    """A step failed; the message says what to do about it."""


# -- ports ------------------------------------------------------------------------------------


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str = HOST) -> int:
    """A port the kernel has just handed out as free (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_owner(port: int) -> str | None:
    """Who listens on ``port`` ("pid 123: prefect server start ..."), when the OS tells us."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return None
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            if connection.pid is None:
                return None
            try:
                command = " ".join(" ".join(psutil.Process(connection.pid).cmdline()).split())
            except psutil.Error:
                command = "?"
            return f"pid {connection.pid}: {command if len(command) <= 80 else command[:79] + '…'}"
    return None


def check_ports_free(host: str, wanted: Mapping[int, str], hint: str = "") -> None:
    """Raise a ``DevstackError`` naming every busy port of ``wanted`` (port -> what needs it)."""
    busy = []
    for port, what in wanted.items():
        if port_in_use(host, port):
            owner = port_owner(port)
            busy.append(f"{port} ({what})" + (f" held by {owner}" if owner else ""))
    if busy:
        raise DevstackError(f"port(s) already in use on {host}: {', '.join(busy)}. {hint}".strip())


# -- process trees ----------------------------------------------------------------------------


def alive(process: psutil.Process | int) -> bool:
    """Still running: exists, is the same process (not a reused pid) and is not a zombie."""
    try:
        proc = process if isinstance(process, psutil.Process) else psutil.Process(process)
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...)."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _tagged(tag: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if tag in proc.environ().get(TAG_VARIABLE, "").split():
                found.append(proc)
        except psutil.Error:  # gone meanwhile, or not ours to read
            continue
    return found


def _signal(processes: Iterable[psutil.Process], signum: signal.Signals) -> None:
    for proc in processes:
        try:
            proc.send_signal(signum)  # psutil refuses a pid that was reused meanwhile
        except psutil.Error:
            continue


def _wait_gone(
    processes: Sequence[psutil.Process], popen: subprocess.Popen[Any] | None, timeout: float
) -> list[psutil.Process]:
    """Wait until none of ``processes`` is alive; return those still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if popen is not None:
            popen.poll()  # reap our own child through Popen, which keeps its return code
        left = [proc for proc in processes if alive(proc)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(_POLL)


def stop_tree(
    root: subprocess.Popen[Any] | int, *, grace: float = 10.0, tag: str | None = None
) -> None:
    """SIGTERM ``root``, every descendant and every process tagged ``tag``; SIGKILL what is left
    after ``grace`` seconds (and whatever those started meanwhile)."""
    popen = root if isinstance(root, subprocess.Popen) else None
    pid = root.pid if isinstance(root, subprocess.Popen) else root
    targets = {proc.pid: proc for proc in _tree(pid)}
    if tag is not None:
        targets.update({proc.pid: proc for proc in _tagged(tag)})
    targets.pop(os.getpid(), None)
    processes = list(targets.values())
    _signal(processes, signal.SIGTERM)
    survivors = _wait_gone(processes, popen, grace)
    if survivors:
        for proc in list(survivors):
            try:
                survivors.extend(proc.children(recursive=True))
            except psutil.Error:
                continue
        _signal(survivors, signal.SIGKILL)
        _wait_gone(survivors, popen, 5.0)
    if popen is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=5)


def new_tag() -> str:
    return f"{os.getpid()}-{secrets.token_hex(6)}"


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    text: bool = False,
    tag: str | None = None,
) -> subprocess.Popen[Any]:
    """Start ``argv`` in a session (process group) of its own, tagged ``tag`` if given."""
    child_env = dict(env)
    if tag is not None:
        child_env[TAG_VARIABLE] = f"{child_env.get(TAG_VARIABLE, '')} {tag}".strip()
    return subprocess.Popen(  # noqa: S603 (argv built by the caller, no shell)
        list(argv),
        env=child_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=text,
        start_new_session=True,
    )


def run(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a short command to completion in a session of its own, its output captured.

    On timeout (a ``DevstackError``) or an interruption (Ctrl-C), its whole tree is stopped.
    """
    tag = new_tag()
    pipe = subprocess.PIPE
    with spawn(argv, env=env, cwd=cwd, stdout=pipe, stderr=pipe, text=True, tag=tag) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_tree(process, grace=5.0, tag=tag)
            raise DevstackError(
                f"`{shlex.join(argv[:4])} ...` did not finish in {timeout:.0f} s"
            ) from None
        except BaseException:
            stop_tree(process, grace=5.0, tag=tag)
            raise
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """A second Ctrl-C must not cut the clean-up short and leave orphans behind."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


class ManagedProcess:
    """A long-running child whose output goes to a log file; ``stop()`` stops its whole tree.

    Usable as a context manager (stopped on exit) or through a ``Supervisor``.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.tag = new_tag()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.log"
        self._log = self.log_path.open("wb")
        try:
            self.popen: subprocess.Popen[bytes] = spawn(
                argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, tag=self.tag
            )
        except OSError:
            self._log.close()
            raise

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def running(self) -> bool:
        return self.popen.poll() is None

    def listens_on(self, port: int) -> bool:
        """The child, or a process below it, listens on TCP ``port`` (so a port someone else
        took after the port check is not mistaken for this child being ready)."""
        for proc in _tree(self.pid):
            try:
                connections = proc.net_connections(kind="tcp")
            except psutil.Error:
                continue
            for connection in connections:
                if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
                    return True
        return False

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def check_running(self) -> None:
        """Raise if the child exited (with its return code and the end of its log)."""
        if not self.running():
            raise DevstackError(
                f"{self.name} exited with code {self.popen.returncode}; "
                f"log {self.log_path}:\n{self.log_tail()}"
            )

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the child and everything it started; SIGKILL the rest after ``grace`` s."""
        try:
            stop_tree(self.popen, grace=grace, tag=self.tag)
        finally:
            self._log.close()

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with _sigint_ignored():
            self.stop()

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid})"


class Supervisor:
    """Starts children and stops them all, newest first; use it as a context manager."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[ManagedProcess] = []

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with _sigint_ignored():
            self.stop_all()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
    ) -> ManagedProcess:
        process = ManagedProcess(name, argv, env=env, log_dir=self.log_dir, cwd=cwd)
        self.processes.append(process)
        return process

    def stop_all(self, grace: float = 10.0) -> None:
        while self.processes:
            self.processes.pop().stop(grace)

    def check_running(self) -> None:
        """Raise if a child died (the demo then stops the others and exits non-zero)."""
        for process in self.processes:
            process.check_running()


# -- waiting ----------------------------------------------------------------------------------


def wait_until(
    what: str,
    ready: Callable[[], bool],
    *,
    timeout: float,
    process: ManagedProcess | None = None,
    interval: float = 0.25,
    progress: Callable[[str], None] | None = None,
    progress_every: float = 15.0,
    status: Callable[[], str] | None = None,
) -> None:
    """Poll ``ready`` until it is true, up to ``timeout`` seconds: the one wait loop of devstack.

    Fails early, with the end of its log, if ``process`` exits; fails loudly on timeout. Every
    ``progress_every`` seconds ``progress`` gets a line saying what is awaited, for how long,
    and ``status()`` (what the awaited thing is doing) when given.
    """
    started = time.monotonic()
    deadline = started + timeout
    next_report = started + progress_every
    while True:
        if ready():
            return
        if process is not None and not process.running():
            raise DevstackError(
                f"{process.name} exited (code {process.popen.returncode}) before {what}; "
                f"log {process.log_path}:\n{process.log_tail()}"
            )
        now = time.monotonic()
        if now >= deadline:
            break
        if progress is not None and now >= next_report:
            state = f" ({status()})" if status is not None else ""
            progress(f"still waiting for {what}{state}: {now - started:.0f} s of {timeout:.0f} s")
            next_report = now + progress_every
        time.sleep(min(interval, max(deadline - now, 0.0)))
    state = f" (last seen: {status()})" if status is not None else ""
    tail = f"; log {process.log_path}:\n{process.log_tail()}" if process is not None else ""
    raise DevstackError(f"timed out after {timeout:.0f} s waiting for {what}{state}{tail}")
