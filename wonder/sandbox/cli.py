"""`wonder sandbox EMULATOR ...`: run one emulator in the foreground until Ctrl-C.

Each emulator package has a ``cli.py`` with ``register(emulators)`` (importing nothing heavy)
and lists itself in ``EMULATOR_COMMANDS``; ``serve_until_interrupted`` is the shared loop.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wonder.sandbox.server import ASGIApp

EMULATOR_COMMANDS: tuple[str, ...] = (
    "wonder.sandbox.trestle.cli",
    "wonder.sandbox.buildium.cli",
    "wonder.sandbox.gmail.cli",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = subparsers.add_parser("sandbox", help="run a local emulator of an external API")
    emulators = sandbox.add_subparsers(dest="emulator", metavar="EMULATOR", required=True)
    for module_name in EMULATOR_COMMANDS:
        importlib.import_module(module_name).register(emulators)


def serve_until_interrupted(
    app: ASGIApp, *, host: str, port: int, banner: Callable[[str], list[str]]
) -> int:
    """Serve ``app`` on ``host:port``, print ``banner(base_url)``, stop on Ctrl-C or SIGTERM."""
    from wonder.sandbox.server import serve_in_thread

    with serve_in_thread(app, host=host, port=port, log_level="info") as server:
        for line in banner(server.base_url):
            print(line, flush=True)
        previous = signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when terminated too
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
        finally:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
