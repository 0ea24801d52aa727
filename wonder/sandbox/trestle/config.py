"""Everything a Trestle sandbox is configured with: its limits per speed profile, its fault
knobs, the advance request of its control API, and the instance configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from wonder.sandbox.control import AdvanceRequest
from wonder.sandbox.faults import FaultSettings
from wonder.sandbox.profiles import ProfileName, speed_profile

# The real per-connection query quota (API-FACTS: about 180/minute and 7,200/hour).
REAL_MINUTE_QUOTA = 180
REAL_HOUR_QUOTA = 7_200
# Media downloads have their own quota (API-FACTS: 480/minute and 18,000/hour).
REAL_MEDIA_MINUTE_QUOTA = 480
REAL_MEDIA_HOUR_QUOTA = 18_000
# A replication nextLink expires after this long idle (API-FACTS: 5 minutes).
REPLICATION_IDLE_SECONDS = 300.0
TOKEN_TTL_SECONDS = 28_800
ERROR_STATUSES = (500, 503, 504)


@dataclass(frozen=True)
class TrestleLimits:
    minute_quota: int
    hour_quota: int
    media_minute_quota: int
    media_hour_quota: int


def trestle_limits(profile: str) -> TrestleLimits:
    """The quotas under a speed profile (``ValueError`` for an unknown one)."""
    speed = speed_profile(profile)
    return TrestleLimits(
        speed.rate(REAL_MINUTE_QUOTA),
        speed.rate(REAL_HOUR_QUOTA),
        speed.rate(REAL_MEDIA_MINUTE_QUOTA),
        speed.rate(REAL_MEDIA_HOUR_QUOTA),
    )


class QueryCostSettings(BaseModel):
    """What a query costs, from its shape alone, and the cost past which it is a 504.

    cost = $top x (row + the expansions' weights) x (1 + the $filter terms' weights), where a
    row weighs ``key_row`` when a Property query selects only key-index fields, else
    ``full_row``; a comparison (or an ``in`` item) on a key-index field weighs ``indexed_term``,
    on any other field (or a string function) ``scan_term``. With the defaults the largest
    queries Trestle documents pass: a page of 1,000 listings with ``$expand=Media`` costs ~2,000,
    a 300,000-key census 3,000, 1,000 media of 200 listings named in one ``$filter`` 2,000; the
    same listing page filtered on 100 terms over other fields costs 12,000 and times out.
    """

    model_config = ConfigDict(extra="forbid")

    # None: no query ever times out.
    timeout_cost: float | None = Field(default=10_000.0, gt=0)
    full_row: float = Field(default=1.0, ge=0)
    key_row: float = Field(default=0.01, ge=0)
    expand: dict[str, float] = Field(default_factory=lambda: {"Media": 1.0, "OpenHouse": 0.5})
    indexed_term: float = Field(default=0.005, ge=0)
    scan_term: float = Field(default=0.05, ge=0)


class TrestleFaultSettings(FaultSettings):
    """The shared faults plus Trestle's own."""

    # Under pressure ``$expand=Media`` has returned [] while PhotosCount > 0 (per listing).
    empty_expand_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # The same for reads of the Media resource: a listing's media left out (per listing, per
    # request), as if not yet published.
    empty_media_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class TrestleAdvance(AdvanceRequest):
    """``POST /_sandbox/advance``: how many listings change, stamped inside the interval."""

    price_changes: int = Field(default=0, ge=0)
    status_changes: int = Field(default=0, ge=0)
    media_changes: int = Field(default=0, ge=0)
    new_listings: int = Field(default=0, ge=0)
    # Each one either vanishes (found only by a census) or is marked 'Delete', at random.
    removed_listings: int = Field(default=0, ge=0)
    bad_records: int = Field(default=0, ge=0)
    # Exactly this many marked StandardStatus 'Delete' / vanished without a trace.
    deleted_listings: int = Field(default=0, ge=0)
    vanished_listings: int = Field(default=0, ge=0)
    # A provider remap: ModificationTimestamp moves, nothing else changes (mass updates).
    remapped: int = Field(default=0, ge=0)
    # Every change of this advance gets one timestamp (the end of the interval).
    same_timestamp: bool = False


class TrestleSandboxConfig(BaseModel):
    """How a sandbox instance is seeded, limited and broken."""

    seed: int = 42
    listings: int = Field(default=500, ge=0)
    profile: ProfileName = "realistic"
    client_id: str = "sandbox-client"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    token_ttl_seconds: int = Field(default=TOKEN_TTL_SECONDS, ge=1)
    # Override the profile's quotas (e.g. 5 per minute to test 429).
    minute_quota: int | None = Field(default=None, ge=0)
    hour_quota: int | None = Field(default=None, ge=0)
    media_minute_quota: int | None = Field(default=None, ge=0)
    media_hour_quota: int | None = Field(default=None, ge=0)
    query_cost: QueryCostSettings = QueryCostSettings()
    replication_idle_seconds: float = REPLICATION_IDLE_SECONDS
    # The sandbox clock starts here (default: now); frozen clocks move only with advance().
    start_time: datetime | None = None
    frozen_clock: bool = False
    faults: TrestleFaultSettings = TrestleFaultSettings()

    def limits(self) -> TrestleLimits:
        profile = trestle_limits(self.profile)
        return TrestleLimits(
            _given(self.minute_quota, profile.minute_quota),
            _given(self.hour_quota, profile.hour_quota),
            _given(self.media_minute_quota, profile.media_minute_quota),
            _given(self.media_hour_quota, profile.media_hour_quota),
        )


def _given(value: int | None, default: int) -> int:
    return default if value is None else value
