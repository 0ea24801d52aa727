"""Signed webhook delivery shared by the emulators (Buildium events, Airtable pings, Gmail
push): ``outbox`` (subscriptions, pump/worker, retries, suspension, delivery faults, log),
``policy`` (retry schedules), ``signing`` (signers)."""

from wonder.sandbox.webhooks.outbox import (
    Attempt,
    DeliveryFaults,
    Subscription,
    WebhookOutbox,
)
from wonder.sandbox.webhooks.policy import AIRTABLE_RETRY, BUILDIUM_RETRY, RetryPolicy
from wonder.sandbox.webhooks.signing import (
    AIRTABLE_MAC_HEADER,
    BUILDIUM_SIGNATURE_HEADER,
    BUILDIUM_TIMESTAMP_HEADER,
    Signer,
    airtable_mac,
    airtable_signer,
    buildium_signature,
    buildium_signer,
)

__all__ = [
    "AIRTABLE_MAC_HEADER",
    "AIRTABLE_RETRY",
    "BUILDIUM_RETRY",
    "BUILDIUM_SIGNATURE_HEADER",
    "BUILDIUM_TIMESTAMP_HEADER",
    "Attempt",
    "DeliveryFaults",
    "RetryPolicy",
    "Signer",
    "Subscription",
    "WebhookOutbox",
    "airtable_mac",
    "airtable_signer",
    "buildium_signature",
    "buildium_signer",
]
