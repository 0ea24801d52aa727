"""The Buildium (property management) emulator.

The public names load on first use, so ``wonder --help`` (which imports ``buildium.cli``) stays
fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wonder.sandbox.buildium.config import (
        BuildiumAdvance,
        BuildiumFaultSettings,
        BuildiumSandboxConfig,
    )
    from wonder.sandbox.buildium.sandbox import AdvanceResult, BuildiumSandbox

_HOMES = {
    "AdvanceResult": "wonder.sandbox.buildium.sandbox",
    "BuildiumAdvance": "wonder.sandbox.buildium.config",
    "BuildiumFaultSettings": "wonder.sandbox.buildium.config",
    "BuildiumSandbox": "wonder.sandbox.buildium.sandbox",
    "BuildiumSandboxConfig": "wonder.sandbox.buildium.config",
}

__all__ = [
    "AdvanceResult",
    "BuildiumAdvance",
    "BuildiumFaultSettings",
    "BuildiumSandbox",
    "BuildiumSandboxConfig",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
