"""Speed profiles: the real limits, or the same limits scaled up for tests (never switched off)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProfileName = Literal["realistic", "fast"]


@dataclass(frozen=True)
class TrestleLimits:
    minute_quota: int
    hour_quota: int


FAST_SCALE = 100

TRESTLE_PROFILES: dict[str, TrestleLimits] = {
    "realistic": TrestleLimits(minute_quota=180, hour_quota=7_200),
    "fast": TrestleLimits(minute_quota=180 * FAST_SCALE, hour_quota=7_200 * FAST_SCALE),
}


def trestle_limits(profile: str) -> TrestleLimits:
    try:
        return TRESTLE_PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown profile {profile!r}; use one of {sorted(TRESTLE_PROFILES)}"
        ) from None
