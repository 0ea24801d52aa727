"""devstack's process management: every child and grandchild stopped, also on failure."""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from devstack.platform import DemoConfig, check_ports
from devstack.processes import (
    DevstackError,
    Supervisor,
    alive,
    descendants,
    port_in_use,
    run,
    wait_until,
)
from wonder.settings import Settings

# A child that ignores SIGTERM and starts a grandchild in its own session (as Prefect's process
# worker does with flow runs), then prints the grandchild's pid.
STUBBORN_PARENT = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         start_new_session=True)
print(child.pid, flush=True)
time.sleep(600)
"""

# A child that dies on SIGTERM (the default) after starting, in a session of its own, a
# grandchild that ignores SIGTERM: only a SIGKILL after the grace period stops the grandchild.
PARENT_OF_A_STUBBORN_GRANDCHILD = """
import subprocess, sys, time
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
print(child.pid, flush=True)
time.sleep(600)
"""

# The same grandchild, but its parent exits right away: the grandchild is an orphan (no longer
# below the supervised child) by the time the supervisor stops.
PARENT_THAT_ORPHANS_A_STUBBORN_GRANDCHILD = """
import subprocess, sys
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
print(child.pid, flush=True)
"""


@pytest.fixture
def track() -> Iterator[Callable[[int], int]]:
    """Register a grandchild: killed at teardown if the code under test left it running."""
    tracked: list[psutil.Process] = []

    def register(pid: int) -> int:
        with contextlib.suppress(psutil.NoSuchProcess):
            tracked.append(psutil.Process(pid))
        return pid

    yield register
    for process in tracked:
        try:
            process.kill()  # psutil refuses a pid that was reused meanwhile
        except psutil.Error:
            continue


# A command that hangs after starting such a grandchild; the grandchild's pid goes to argv[1].
HANGING_COMMAND = """
import pathlib, subprocess, sys, time
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
pathlib.Path(sys.argv[1]).write_text(str(child.pid))
time.sleep(600)
"""


def _wait_for_pid(log: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log.read_text().strip()
        if text:
            return int(text.splitlines()[0])
        time.sleep(0.05)
    raise AssertionError("the child never printed its grandchild's pid")


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_stop_all_kills_children_and_their_detached_grandchildren(
    tmp_path: Path, track: Callable[[int], int]
) -> None:
    supervisor = Supervisor(tmp_path / "logs")
    parent = supervisor.start("stubborn", [sys.executable, "-c", STUBBORN_PARENT], env={})
    grandchild = track(_wait_for_pid(parent.log_path))
    assert grandchild in descendants(parent.pid)

    supervisor.stop_all(grace=1.0)

    assert not parent.running()
    assert _gone(grandchild)
    assert supervisor.processes == []


def test_a_grandchild_that_ignores_sigterm_is_killed_after_the_grace_period(
    tmp_path: Path, track: Callable[[int], int]
) -> None:
    supervisor = Supervisor(tmp_path / "logs")
    parent = supervisor.start(
        "parent", [sys.executable, "-c", PARENT_OF_A_STUBBORN_GRANDCHILD], env={}
    )
    grandchild = track(_wait_for_pid(parent.log_path))
    assert grandchild in descendants(parent.pid)

    started = time.monotonic()
    supervisor.stop_all(grace=1.0)

    assert not parent.running()
    assert _gone(grandchild), "the grandchild that ignores SIGTERM survived stop_all"
    assert time.monotonic() - started < 10


def test_an_orphaned_grandchild_is_found_by_its_tag(
    tmp_path: Path, track: Callable[[int], int]
) -> None:
    with Supervisor(tmp_path / "logs") as supervisor:
        parent = supervisor.start(
            "parent", [sys.executable, "-c", PARENT_THAT_ORPHANS_A_STUBBORN_GRANDCHILD], env={}
        )
        grandchild = track(_wait_for_pid(parent.log_path))
        parent.popen.wait(timeout=30)
        assert alive(grandchild)
        assert grandchild not in descendants(parent.pid)
        supervisor.stop_all(grace=1.0)
    assert _gone(grandchild), "the orphaned grandchild survived stop_all"


def test_a_command_that_hangs_is_stopped_with_what_it_started(
    tmp_path: Path, track: Callable[[int], int]
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    with pytest.raises(DevstackError, match="did not finish in 5 s"):
        run([sys.executable, "-c", HANGING_COMMAND, str(pid_file)], env={}, timeout=5)
    grandchild = track(int(pid_file.read_text()))
    assert _gone(grandchild), "the hanging command's grandchild survived"


def test_ready_means_listening_in_the_childs_own_tree(tmp_path: Path) -> None:
    """A port someone else took after the port check must not pass for the child being ready."""
    listener_code = (
        "import socket, sys, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen();"
        " print(s.getsockname()[1], flush=True); time.sleep(600)"
    )
    with Supervisor(tmp_path) as supervisor, socket.socket() as ours:
        ours.bind(("127.0.0.1", 0))
        ours.listen()
        child = supervisor.start("listener", [sys.executable, "-c", listener_code], env={})
        port = _wait_for_pid(child.log_path)  # the first line it prints: its port
        assert child.listens_on(port)
        assert not child.listens_on(ours.getsockname()[1])


def test_children_are_stopped_when_a_step_fails(tmp_path: Path) -> None:
    started = []

    def failing_demo() -> None:
        with Supervisor(tmp_path) as supervisor:
            started.append(
                supervisor.start(
                    "sleeper", [sys.executable, "-c", "import time; time.sleep(600)"], env={}
                )
            )
            raise RuntimeError("step failed")

    with pytest.raises(RuntimeError, match="step failed"):
        failing_demo()
    assert not started[0].running()


def test_wait_until_reports_a_child_that_died_with_its_log(tmp_path: Path) -> None:
    with Supervisor(tmp_path) as supervisor:
        crashing = supervisor.start(
            "crashing", [sys.executable, "-c", "print('bad config'); raise SystemExit(3)"], env={}
        )
        with pytest.raises(DevstackError, match=r"crashing exited \(code 3\)[\s\S]*bad config"):
            wait_until("never", lambda: False, timeout=30, process=crashing)
        with pytest.raises(DevstackError, match="crashing exited with code 3"):
            supervisor.check_running()


def test_wait_until_times_out_loudly() -> None:
    with pytest.raises(DevstackError, match="timed out after 0 s waiting for nothing"):
        wait_until("nothing", lambda: False, timeout=0.2, interval=0.05)


def test_busy_ports_are_named_in_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        assert port_in_use("127.0.0.1", busy)
        config = DemoConfig(root=tmp_path, settings=Settings(), prefect_port=busy)
        with pytest.raises(DevstackError, match=rf"{busy} \(the Prefect server\)"):
            check_ports(config, with_grpc=False)


def test_demo_environment_points_everything_at_the_demo(tmp_path: Path) -> None:
    config = DemoConfig(root=tmp_path, settings=Settings(database_url="sqlite:///var/wonder.db"))
    env = config.env()
    assert env["PREFECT_HOME"] == str(tmp_path / "var" / "prefect")
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"
    assert env["WONDER_DATABASE_URL"] == f"sqlite:///{tmp_path}/var/wonder.db"
    assert env["WONDER_TRESTLE__BASE_URL"].startswith("http://127.0.0.1:")
