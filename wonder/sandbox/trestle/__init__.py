"""The CoreLogic Trestle (RESO Web API) emulator."""

from wonder.sandbox.faults import FaultSettings
from wonder.sandbox.trestle.sandbox import TrestleSandbox, TrestleSandboxConfig
from wonder.sandbox.trestle.state import AdvanceResult

__all__ = ["AdvanceResult", "FaultSettings", "TrestleSandbox", "TrestleSandboxConfig"]
