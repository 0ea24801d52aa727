"""What a Gmail sandbox is configured with: its quota regime, push behaviour, faults, the
advance request of its control API, and the instance configuration.

Quota (API-FACTS, per user per project): the legacy regime allows 250 units per second with
``messages.get`` = 5 (50 messages/s per mailbox); projects created from May 2026 get 6,000 units
per minute with ``messages.get`` = 20 (5 messages/s). Both are settings.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from wonder.clients.gmail.quota import QuotaRegime, Regime
from wonder.clients.gmail.quota import quota_regime as client_quota_regime
from wonder.sandbox.control import AdvanceRequest
from wonder.sandbox.faults import FaultSettings
from wonder.sandbox.profiles import ProfileName, speed_profile

ERROR_STATUSES = (500, 503)
# history.list answers 404 for a start id older than this many history records (Gmail keeps
# "at least a week"; the sandbox counts records so a test can expire ids on purpose).
HISTORY_RETENTION_RECORDS = 5_000
MAX_BATCH_CALLS = 50
# Pub/Sub push: at most one notification per second per mailbox (API-FACTS).
PUSH_MIN_INTERVAL_SECONDS = 1.0


def quota_regime(regime: Regime, profile: ProfileName) -> QuotaRegime:
    """The client's quota table (``wonder.clients.gmail.quota``) under a speed profile."""
    return client_quota_regime(regime, speed_profile(profile).scale)


class GmailFaultSettings(FaultSettings):
    """The shared faults plus Gmail's own."""

    # An inner call of a batch fails alone with a 429 (its quota part) or a 500, per call.
    batch_part_429_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    batch_part_500_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class PushSettings(BaseModel):
    """How the sandbox's Pub/Sub push misbehaves on purpose (like the real one)."""

    model_config = ConfigDict(extra="forbid")

    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    late_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    late_seconds: float = Field(default=5.0, ge=0.0)


class GmailAdvance(AdvanceRequest):
    """``POST /_sandbox/advance``: new mail and changes, spread over the mailboxes."""

    new_messages: int = Field(default=0, ge=0)
    # Replies in existing threads (In-Reply-To/References set, same threadId).
    replies: int = Field(default=0, ge=0)
    # Messages that gain or lose a label (history labelAdded/labelRemoved).
    label_changes: int = Field(default=0, ge=0)
    deletions: int = Field(default=0, ge=0)
    # Expire history: ids older than the newest this-many records answer 404.
    keep_history: int | None = Field(default=None, ge=0)


class GmailSandboxConfig(BaseModel):
    """How a sandbox instance is seeded, limited and broken."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 42
    mailboxes: tuple[str, ...] = ("agent@wonderstreet.example", "leasing@wonderstreet.example")
    messages_per_mailbox: int = Field(default=60, ge=0)
    # The Trestle sandbox's seed and size, so leads name listings that exist there.
    listing_seed: int = 42
    listings: int = Field(default=500, ge=1)
    profile: ProfileName = "realistic"
    regime: Regime = "legacy"
    # Bearer tokens the API accepts (each stands for any of the mailboxes).
    tokens: tuple[str, ...] = ("sandbox-gmail-token",)
    history_retention: int = Field(default=HISTORY_RETENTION_RECORDS, ge=1)
    push: PushSettings = PushSettings()
    # The audience and service-account email the push JWT carries.
    push_audience: str | None = None
    push_service_account: str = "gmail-push@wonder-sandbox.iam.gserviceaccount.com"
    start_time: datetime | None = None
    frozen_clock: bool = False
    faults: GmailFaultSettings = GmailFaultSettings()
