"""The processing step on a synced sandbox mailbox, on both databases: links equal what the
sandbox meant (its truth), pages are idempotent and resumable, nothing is dropped."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.integration.mail.mail_rig import AGENT, now, seed_directories, sync, trestle_truth
from wonder.db.models import MailAttachment, MailLink, MailMessage, MailMessageChange
from wonder.db.uow import unit_of_work
from wonder.mail import process
from wonder.mail.process import process_messages, sql_directories
from wonder.sandbox.gmail.config import GmailSandboxConfig


@pytest.fixture
def gmail_config() -> GmailSandboxConfig:
    return GmailSandboxConfig(
        messages_per_mailbox=150, listings=50, frozen_clock=True, profile="fast"
    )


def truth_of(gmail: GmailRig) -> dict[str, dict[str, Any]]:
    return gmail.sandbox.state.truth()[AGENT]


def tenants_of(truth: dict[str, dict[str, Any]]) -> dict[str, int]:
    senders = sorted({t["sender"] for t in truth.values() if t["category"] == "tenant"})
    return {email: 1000 + i for i, email in enumerate(senders)}


def links(sessions: sessionmaker[Session]) -> dict[str, list[MailLink]]:
    with sessions() as session:
        rows = session.execute(
            select(MailMessage.gmail_id, MailLink).join(
                MailLink, MailLink.message_id == MailMessage.id
            )
        ).all()
        by_message: dict[str, list[MailLink]] = defaultdict(list)
        for gmail_id, link in rows:
            session.expunge(link)
            by_message[gmail_id].append(link)
        return by_message


def test_links_are_those_the_sandbox_meant(
    gmail: GmailRig, gmail_config: GmailSandboxConfig, sessions: sessionmaker[Session]
) -> None:
    truth = truth_of(gmail)
    tenants = tenants_of(truth)
    seed_directories(sessions, gmail_config, tenants)
    sync(sessions, gmail)
    report = process_messages(sessions, clock=now, page_size=40)
    assert report.parsed == len(truth)
    found = links(sessions)
    listings = trestle_truth(gmail_config)
    agents = {r["ListAgentEmail"].lower(): r["ListAgentKey"] for r in listings.values()}
    true_pos = false_pos = false_neg = 0
    for gmail_id, meant in truth.items():
        linked = {link.target_key for link in found.get(gmail_id, []) if link.kind == "listing"}
        expected = {meant["listing_key"]} if "listing_key" in meant else set()
        true_pos += len(linked & expected)
        false_pos += len(linked - expected)
        false_neg += len(expected - linked)
        if meant["category"] in ("lead", "agent"):
            # The lead names one listing, by MLS number or street address: exactly that one.
            assert linked == expected, (gmail_id, meant, linked)
        else:
            assert not linked, (gmail_id, meant, linked)
        contacts = {
            (link.role, link.target_kind, link.target_key)
            for link in found.get(gmail_id, [])
            if link.kind == "contact"
        }
        if meant["category"] == "tenant":
            assert ("from", "buildium_tenant", str(tenants[meant["sender"]])) in contacts
        if meant["category"] == "agent":
            assert ("from", "trestle_member", agents[meant["sender"].lower()]) in contacts
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, true_pos + false_neg)
    print(f"listing links: precision {precision:.3f}, recall {recall:.3f} over {len(truth)}")
    assert (precision, recall) == (1.0, 1.0)


def test_processing_is_idempotent_and_resumes_after_a_crash(
    gmail: GmailRig, gmail_config: GmailSandboxConfig, sessions: sessionmaker[Session]
) -> None:
    seed_directories(sessions, gmail_config, {})
    sync(sessions, gmail)
    total = len(truth_of(gmail))
    calls = 0

    def crashing(session: Session) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("killed mid-page")
        return sql_directories(session)

    with pytest.raises(RuntimeError):
        process_messages(sessions, clock=now, page_size=25, directories=crashing)
    with sessions() as session:
        parsed = session.scalar(select(func.count()).where(MailMessage.parsed_at.is_not(None)))
        assert parsed == 50  # the two committed pages, nothing of the third
    rest = process_messages(sessions, clock=now, page_size=25)
    assert rest.parsed == total - 50
    assert process_messages(sessions, clock=now).parsed == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).where(MailMessage.parsed_at.is_(None))) == 0
        parsed_changes = session.scalar(
            select(func.count()).where(MailMessageChange.kind == "parsed")
        )
        assert parsed_changes == total  # one per message: none lost, none repeated


def test_a_new_parser_version_reparses_and_replaces_links(
    gmail: GmailRig,
    gmail_config: GmailSandboxConfig,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_directories(sessions, gmail_config, {})
    sync(sessions, gmail)
    process_messages(sessions, clock=now)
    before = {k: sorted((x.kind, x.target_key) for x in v) for k, v in links(sessions).items()}
    with sessions() as session:
        attachments = session.scalar(select(func.count()).select_from(MailAttachment))
    monkeypatch.setattr(process, "PARSER_VERSION", process.PARSER_VERSION + 1)
    again = process_messages(sessions, clock=now)
    assert again.parsed == len(truth_of(gmail))
    after = {k: sorted((x.kind, x.target_key) for x in v) for k, v in links(sessions).items()}
    assert after == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(MailAttachment)) == attachments
        versions = set(session.scalars(select(MailMessage.parser_version)))
        assert versions == {process.PARSER_VERSION}


def test_malformed_and_unreadable_messages_are_kept_with_their_defects(
    gmail: GmailRig, sessions: sessionmaker[Session]
) -> None:
    sync(sessions, gmail)
    truth = truth_of(gmail)
    with unit_of_work(sessions) as session:
        row = session.scalars(select(MailMessage).limit(1)).one()
        row.raw_zlib = b"not zlib at all"
        broken = row.gmail_id
    process_messages(sessions, clock=now)
    with sessions() as session:
        rows = {r.gmail_id: r for r in session.scalars(select(MailMessage))}
    assert len(rows) == len(truth)
    assert all(r.parsed_at is not None for r in rows.values())
    assert any("unparseable_message" in d for d in rows[broken].defects or [])
    for gmail_id, meant in truth.items():
        if meant["category"] == "malformed" and "reply_to" not in meant and gmail_id != broken:
            assert rows[gmail_id].defects, (gmail_id, meant)
        if meant["category"] == "vendor" and "reply_to" not in meant and gmail_id != broken:
            assert rows[gmail_id].has_attachments is True
            assert rows[gmail_id].from_address == meant["sender"]
