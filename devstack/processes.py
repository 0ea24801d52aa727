"""Child processes the demo starts, and stopping every one of them (and what they started).

Each child gets its own session (so Ctrl-C in the terminal reaches only the demo, which then stops
the children in order) and its own log file. Stopping signals the child's process group and every
descendant found before the signal: Prefect's process worker starts flow runs in new sessions,
which a process-group signal alone would orphan.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


class DemoError(Exception):
    """A step failed; the message says what to do about it."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), from one ``ps`` snapshot."""
    try:
        listing = subprocess.run(
            ["ps", "-A", "-o", "pid=,ppid="],  # noqa: S607 (ps from PATH, fixed arguments)
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    children: dict[int, list[int]] = {}
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(fields[0]))
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes, but only its parent can reap it.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


@dataclass
class ManagedProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group and every descendant; SIGKILL the rest after ``timeout``."""
        targets = [self.pid, *descendants(self.pid)]
        groups = {self.pid}
        for pid in targets:
            with contextlib.suppress(OSError):
                groups.add(os.getpgid(pid))
        self._signal(groups, targets, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.popen.poll()
            if not any(_alive(pid) for pid in targets):
                break
            time.sleep(0.1)
        else:
            self._signal(groups, targets, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self._log.close()

    @staticmethod
    def _signal(groups: set[int], pids: Sequence[int], signum: signal.Signals) -> None:
        for group in groups:
            with contextlib.suppress(OSError):
                os.killpg(group, signum)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)


class Supervisor:
    """Starts children and stops them all, newest first; use it as a context manager."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[ManagedProcess] = []

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # A second Ctrl-C must not cut the clean-up short and leave orphans behind.
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.stop_all()
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
    ) -> ManagedProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("wb")
        try:
            popen = subprocess.Popen(  # noqa: S603 (argv built by the demo, no shell)
                list(argv),
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError:
            log.close()
            raise
        process = ManagedProcess(name, popen, log_path, log)
        self.processes.append(process)
        return process

    def stop_all(self, timeout: float = 10.0) -> None:
        while self.processes:
            self.processes.pop().stop(timeout)

    def check_running(self) -> None:
        """Raise if a child died (the demo then stops the others and exits non-zero)."""
        for process in self.processes:
            if not process.running():
                raise DemoError(
                    f"{process.name} exited with code {process.popen.returncode}; "
                    f"log {process.log_path}:\n{process.log_tail()}"
                )


def wait_until(
    what: str,
    ready: Callable[[], bool],
    *,
    timeout: float,
    process: ManagedProcess | None = None,
    interval: float = 0.25,
) -> None:
    """Poll ``ready`` until it is true; fail early if ``process`` exits, loudly on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if process is not None and not process.running():
            raise DemoError(
                f"{process.name} exited (code {process.popen.returncode}) before {what}; "
                f"log {process.log_path}:\n{process.log_tail()}"
            )
        time.sleep(interval)
    tail = f"; log {process.log_path}:\n{process.log_tail()}" if process else ""
    raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
