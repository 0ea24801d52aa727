"""The CoreLogic Trestle (RESO Web API) emulator.

The public names load on first use, so ``wonder --help`` (which imports ``trestle.cli``) stays
fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wonder.sandbox.trestle.config import (
        TrestleAdvance,
        TrestleFaultSettings,
        TrestleSandboxConfig,
    )
    from wonder.sandbox.trestle.sandbox import TrestleSandbox
    from wonder.sandbox.trestle.state import AdvanceResult

_HOMES = {
    "AdvanceResult": "wonder.sandbox.trestle.state",
    "TrestleAdvance": "wonder.sandbox.trestle.config",
    "TrestleFaultSettings": "wonder.sandbox.trestle.config",
    "TrestleSandbox": "wonder.sandbox.trestle.sandbox",
    "TrestleSandboxConfig": "wonder.sandbox.trestle.config",
}

__all__ = [
    "AdvanceResult",
    "TrestleAdvance",
    "TrestleFaultSettings",
    "TrestleSandbox",
    "TrestleSandboxConfig",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
