"""Everything a Buildium sandbox is configured with: its API keys, its limits per speed profile,
its fault knobs, the advance request of its control API, and the instance configuration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from wonder.sandbox.control import AdvanceRequest
from wonder.sandbox.faults import FaultSettings
from wonder.sandbox.profiles import ProfileName, speed_profile
from wonder.sandbox.webhooks import BUILDIUM_RETRY, RetryPolicy

# API-FACTS: 10 requests per second per account; a query string over 4,096 characters is a 500.
REAL_REQUESTS_PER_SECOND = 10
MAX_QUERY_CHARS = 4_096
DEFAULT_LIMIT = 50
MAX_LIMIT = 1_000
ERROR_STATUSES = (500, 503)


class ApiKey(BaseModel):
    """One API key (client id + secret) of an account; read-only keys get 403 on writes."""

    model_config = ConfigDict(extra="forbid")

    client_id: str
    client_secret: SecretStr
    account_id: int = 1
    read_only: bool = False


def default_keys() -> list[ApiKey]:
    return [
        ApiKey(client_id="sandbox-client", client_secret=SecretStr("sandbox-secret")),
        ApiKey(
            client_id="sandbox-readonly",
            client_secret=SecretStr("sandbox-readonly-secret"),
            read_only=True,
        ),
    ]


class BuildiumFaultSettings(FaultSettings):
    """The shared faults plus webhook delivery faults (Buildium sends duplicates, any order)."""

    webhook_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    webhook_out_of_order_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class BuildiumAdvance(AdvanceRequest):
    """``POST /_sandbox/advance``: move the clock, then play out this much of the business.

    ``months``: rent cycles (a charge per active lease on the 1st, payments — full, partial,
    late or none — late fees on the 6th, the odd credit); ``edits``: changes to rentals, units,
    tenants, owners and leases; ``new_leases`` / ``ended_leases``: move-ins (with a deposit) and
    move-outs. Everything is stamped inside the interval and sends its webhook events.
    """

    months: int = Field(default=0, ge=0, le=120)
    edits: int = Field(default=0, ge=0)
    new_leases: int = Field(default=0, ge=0)
    ended_leases: int = Field(default=0, ge=0)
    payments: int = Field(default=0, ge=0)


class WebhookTarget(BaseModel):
    """``POST /_sandbox/webhooks``: where events go and the secret they are signed with."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1)
    secret: SecretStr
    # Start delivering from a worker thread as time passes (a server following the wall clock);
    # without it deliveries wait for ``POST /_sandbox/webhooks/pump`` or ``outbox.pump()``.
    deliver_in_background: bool = True


class BuildiumSandboxConfig(BaseModel):
    """How a sandbox instance is seeded, limited and broken."""

    seed: int = 42
    properties: int = Field(default=40, ge=1)
    units: int = Field(default=300, ge=1)
    leases: int = Field(default=250, ge=0)
    owners: int | None = Field(default=None, ge=1)  # default: about one per three properties
    history_months: int = Field(default=6, ge=1, le=60)
    account_id: int = 1
    keys: list[ApiKey] = Field(default_factory=default_keys)
    profile: ProfileName = "realistic"
    # Override the profile's per-account rate (requests per second).
    requests_per_second: int | None = Field(default=None, ge=1)
    # Webhook subscriptions are suspended after this many failed attempts in a row.
    webhook_suspend_after: int = Field(default=20, ge=1)
    # The sandbox clock starts here (default: now); frozen clocks move only with advance().
    start_time: datetime | None = None
    frozen_clock: bool = False
    faults: BuildiumFaultSettings = BuildiumFaultSettings()

    def rate_per_second(self) -> int:
        if self.requests_per_second is not None:
            return self.requests_per_second
        return speed_profile(self.profile).rate(REAL_REQUESTS_PER_SECOND)

    def retry_policy(self) -> RetryPolicy:
        policy = BUILDIUM_RETRY.scaled(speed_profile(self.profile))
        return RetryPolicy(
            policy.delays_seconds,
            policy.timeout_seconds,
            suspend_after_failures=self.webhook_suspend_after,
        )
