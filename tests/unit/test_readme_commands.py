"""The README's command blocks work pasted into a fresh terminal at the repository root.

`wonder`, `prefect` and `python` (which must be .venv's, with Prefect) are not on a fresh PATH:
every block that runs one first runs the documented `source .venv/bin/activate`. The demo's steps
are listed in the README as the demo prints them, and its example calls name buf by an absolute
path, so they work from any directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.demo import STEP_TITLES, buf_command, print_grpc_examples, step_titles
from devstack.platform import DemoConfig
from wonder.settings import Settings

ROOT = Path(__file__).resolve().parents[1].parent
README = (ROOT / "README.md").read_text()
ACTIVATE = "source .venv/bin/activate"
# Commands only .venv provides (python: the system one has no Prefect and no wonder).
VENV_COMMANDS = ("wonder", "prefect", "python")
_ASSIGNMENT = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*")


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def first_bare_venv_command(block: str) -> tuple[int, str] | None:
    """(line number, line) of the first line that runs a .venv command before activating."""
    for number, line in enumerate(block.splitlines(), 1):
        command = _ASSIGNMENT.sub("", line.strip())
        if command.startswith(ACTIVATE):
            return None
        if command.split(" ", 1)[0] in VENV_COMMANDS:
            return number, line
    return None


def test_the_readme_has_command_blocks() -> None:
    blocks = bash_blocks(README)
    assert len(blocks) >= 8
    assert any(first_bare_venv_command(f"{ACTIVATE}\n{b}") is None for b in blocks)


@pytest.mark.parametrize(
    ("block", "bare"),
    [
        ("wonder status\n", True),
        ("WONDER_DATABASE_URL=x prefect worker start\n", True),
        ('python -c "import prefect"\n', True),
        ("make demo\nwonder status\n", True),
        (f"{ACTIVATE}\nwonder status\n", False),
        ("make demo   # wonder comes later\n", False),
        (".venv/bin/wonder status\n", False),
    ],
)
def test_the_check_itself(block: str, bare: bool) -> None:
    assert (first_bare_venv_command(block) is not None) is bare


def test_no_block_runs_wonder_prefect_or_python_before_activating_the_venv() -> None:
    offenders = [
        (found[1], block.splitlines()[0])
        for block in bash_blocks(README)
        if (found := first_bare_venv_command(block)) is not None
    ]
    assert offenders == []


def test_the_documented_activation_puts_wonder_and_prefect_on_path_anywhere(
    tmp_path: Path,
) -> None:
    # What `source .venv/bin/activate` does for the venv running these tests, from elsewhere.
    activate = Path(sys.prefix) / "bin" / "activate"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"
    result = subprocess.run(
        ["bash", "-c", f"source {activate} && command -v wonder prefect && wonder --help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = result.stdout.splitlines()[:2]
    assert found == [str(Path(sys.prefix) / "bin" / name) for name in ("wonder", "prefect")]
    assert "usage: wonder" in result.stdout


def test_the_readme_lists_the_demo_steps_as_the_demo_prints_them() -> None:
    section = README.split("## What `make demo` does", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^(\d+)\. \*\*(.+?)\*\*", section, flags=re.M)
    assert [int(n) for n, _ in listed] == list(range(1, len(STEP_TITLES) + 1))
    printed = step_titles(DemoConfig(root=ROOT, settings=Settings()))
    for (_n, title), template, shown in zip(listed, STEP_TITLES, printed, strict=True):
        # Where the demo prints a path of this checkout, the README says <checkout>.
        assert title.replace("<checkout>", str(ROOT).lstrip("/")) == shown, template


def test_the_printed_calls_name_buf_by_an_absolute_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    buf = tmp_path / "node_modules" / ".bin" / "buf"
    buf.parent.mkdir(parents=True)
    buf.touch()
    print_grpc_examples(DemoConfig(root=tmp_path, settings=Settings()), "ws_token", "L1")
    calls = [line.strip() for line in capsys.readouterr().out.splitlines() if " curl " in line]
    assert len(calls) == 7
    assert all(call.startswith(f"{buf} curl ") for call in calls)
    assert any("transaction_type = SALE" in call for call in calls)
    assert any("SyncService/ListBalanceSheetRows" in call for call in calls)


def test_without_the_pinned_buf_the_calls_use_npx(tmp_path: Path) -> None:
    assert buf_command(tmp_path) == "npx --yes @bufbuild/buf"
