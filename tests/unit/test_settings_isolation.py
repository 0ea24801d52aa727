"""The suite runs on defaults, whatever the developer's shell or .env says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wonder.settings import Settings


def test_a_dot_env_in_the_working_directory_is_not_read_by_the_tests(
    tmp_path: Path, monkeypatch: object
) -> None:
    (tmp_path / ".env").write_text("WONDER_LOG_LEVEL=from-dot-env\n")
    os.chdir(tmp_path)
    try:
        assert Settings().log_level == "INFO"
    finally:
        os.chdir(Path(__file__).parents[2])


def test_outside_the_tests_a_dot_env_is_read_and_wonder_env_file_can_turn_it_off(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text("WONDER_LOG_LEVEL=from-dot-env\n")
    show = "from wonder.settings import Settings; print(Settings().log_level)"
    environment = {k: v for k, v in os.environ.items() if k != "WONDER_ENV_FILE"}

    def level(**extra: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-c", show],
            cwd=tmp_path,
            env={**environment, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        return completed.stdout.strip()

    assert level() == "from-dot-env"
    assert level(WONDER_ENV_FILE="") == "INFO"
