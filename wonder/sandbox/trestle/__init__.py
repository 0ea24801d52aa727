"""The CoreLogic Trestle (RESO Web API) emulator."""

from wonder.sandbox.trestle.config import (
    TrestleAdvance,
    TrestleFaultSettings,
    TrestleSandboxConfig,
)
from wonder.sandbox.trestle.sandbox import TrestleSandbox
from wonder.sandbox.trestle.state import AdvanceResult

__all__ = [
    "AdvanceResult",
    "TrestleAdvance",
    "TrestleFaultSettings",
    "TrestleSandbox",
    "TrestleSandboxConfig",
]
