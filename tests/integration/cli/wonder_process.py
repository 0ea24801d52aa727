"""`wonder ...` as a person runs it: a child process, from a directory of the test's choosing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def run_wonder(
    *argv: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    code_root: Path = ROOT,
    timeout: float = 120,
) -> Completed:
    """``python -m wonder.cli ARGV`` with the code of ``code_root``; the environment is the test
    run's (no WONDER_* but the test database's, no .env) plus ``env``."""
    environment = {**os.environ, "PYTHONPATH": str(code_root), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "wonder.cli", *argv],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Completed(result.returncode, result.stdout, result.stderr)
