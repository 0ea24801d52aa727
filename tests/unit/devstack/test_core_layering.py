"""The core stays the core: nothing under wonder/ imports Prefect, the Prefect or gRPC glue, or the
tooling that drives them (devstack, bench). Checked on the source, so a lazy import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

WONDER = Path(__file__).resolve().parents[3] / "wonder"
FORBIDDEN = ("prefect", "flows", "grpc_server", "devstack", "bench")
# Known, owned elsewhere: `wonder serve` still imports grpc_server lazily (the gRPC refactor moves
# it). Remove the entry when it goes; any other such import fails this test.
KNOWN: set[tuple[str, str]] = set()


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_nothing_under_wonder_imports_prefect_the_glue_or_devstack() -> None:
    offending = set()
    for path in sorted(WONDER.rglob("*.py")):
        relative = path.relative_to(WONDER).as_posix()
        for name in _imported(ast.parse(path.read_text(), filename=str(path))):
            top = name.split(".")[0]
            if top in FORBIDDEN and (relative, top) not in KNOWN:
                offending.add(f"wonder/{relative} imports {name}")
    assert not offending, "\n".join(sorted(offending))
