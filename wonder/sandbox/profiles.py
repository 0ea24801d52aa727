"""Speed profiles: the real limits (``realistic``), or the same limits scaled for tests
(``fast``: rates ``FAST_SCALE`` times higher, waits as many times shorter; never switched off).

Each emulator states its real limits once and derives the profile's values with
``SpeedProfile.rate`` / ``SpeedProfile.duration`` (see ``wonder.sandbox.trestle.config``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProfileName = Literal["realistic", "fast"]

FAST_SCALE = 100


@dataclass(frozen=True)
class SpeedProfile:
    name: ProfileName
    scale: int

    def rate(self, real: int) -> int:
        """A quota or rate (requests per window) under this profile."""
        return real * self.scale

    def duration(self, real_seconds: float) -> float:
        """A wait, lockout or retry delay under this profile."""
        return real_seconds / self.scale


PROFILES: dict[str, SpeedProfile] = {
    "realistic": SpeedProfile("realistic", 1),
    "fast": SpeedProfile("fast", FAST_SCALE),
}


def speed_profile(name: str) -> SpeedProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; use one of {sorted(PROFILES)}") from None
