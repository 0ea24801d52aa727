"""Shared by the mail processing and MessageService tests: a Gmail client on the sandbox, the
sandbox's truth seeded into our listing, member and Buildium tables, one sync."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import TOKEN, GmailRig
from wonder.clients.gmail import GmailClient
from wonder.clients.gmail.credentials import bearer_credentials
from wonder.clients.governor import TokenBucket
from wonder.clients.retry import BackoffPolicy, RetryLoop
from wonder.db.models import BuildiumTenant, Listing, Member
from wonder.db.uow import unit_of_work
from wonder.mail.sync import MailSync
from wonder.sandbox.gmail.config import GmailSandboxConfig
from wonder.sandbox.trestle.config import TrestleSandboxConfig
from wonder.sandbox.trestle.sandbox import TrestleSandbox

AGENT = "agent@wonderstreet.example"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def gmail_client(gmail: GmailRig, mailbox: str = AGENT) -> GmailClient:
    regime = gmail.sandbox.quota.regime
    return GmailClient(
        mailbox,
        base_url=gmail.base_url,
        credentials=bearer_credentials(TOKEN),
        governor=TokenBucket(regime.units_per_second, burst=regime.units),
        regime=regime,
        retry=RetryLoop(
            service="gmail",
            backoff=BackoffPolicy(0.001, 0.01, 4),
            rng=random.Random(3),
            retry_on=GmailClient.transport_errors(),
        ),
    )


def trestle_truth(config: GmailSandboxConfig) -> dict[str, dict[str, Any]]:
    """The Trestle sandbox's listings for the seed the Gmail sandbox's leads were made from."""
    sandbox = TrestleSandbox(
        TrestleSandboxConfig(seed=config.listing_seed, listings=config.listings)
    )
    return {str(r["ListingKey"]): r for r in sandbox.truth().values()}


def seed_directories(
    sessions: sessionmaker[Session], config: GmailSandboxConfig, tenants: dict[str, int]
) -> None:
    """Listings and their agents from the Trestle truth; ``tenants`` (email -> Buildium id)."""
    records = trestle_truth(config)
    members: dict[str, Member] = {}
    with unit_of_work(sessions) as session:
        for key, r in records.items():
            session.add(
                Listing(
                    listing_key=key,
                    listing_id=r["ListingId"],
                    unparsed_address=r["UnparsedAddress"],
                    street_number=r.get("StreetNumber"),
                    street_name=r.get("StreetName"),
                    unit_number=r.get("UnitNumber"),
                    city=r.get("City"),
                    modification_timestamp=T0,
                    raw={"ListingKey": key},
                    first_seen_at=T0,
                    updated_at=T0,
                )
            )
            agent = r.get("ListAgentKey")
            if agent and agent not in members:
                members[agent] = Member(
                    member_key=agent,
                    full_name=r.get("ListAgentFullName"),
                    email=r.get("ListAgentEmail"),
                    modification_timestamp=T0,
                    raw={"MemberKey": agent},
                    updated_at=T0,
                )
        session.add_all(members.values())
        session.add_all(
            BuildiumTenant(
                id=tenant_id,
                email=email,
                raw={"Id": tenant_id},
                content_hash="0" * 64,
                first_seen_at=T0,
                last_seen_at=T0,
            )
            for email, tenant_id in tenants.items()
        )


def sync(sessions: sessionmaker[Session], gmail: GmailRig, mailbox: str = AGENT) -> None:
    client = gmail_client(gmail, mailbox)
    try:
        MailSync(sessions, client, clock=now).run()
    finally:
        client.close()
