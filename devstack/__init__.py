"""The local platform: the demo (``python -m devstack``, what `make demo` runs) and the process
management the benchmarks share (``devstack.processes``).

devstack drives Prefect (its CLI and its client), so it lives outside the core: nothing under
``wonder/`` imports Prefect, ``grpc_server`` or ``flows``.
"""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    """The checkout (where prefect.yaml lives); the current directory as a fallback."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "prefect.yaml").exists() else Path.cwd()
