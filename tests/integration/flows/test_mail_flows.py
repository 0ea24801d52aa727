"""The mail flows in-process against the Gmail sandbox over HTTP: one task per mailbox and a
processing task after them (every stored message parsed, as the sandbox's truth says), the
report artifact, a failing mailbox named, watch renewal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from flows.mail import MailSyncFailed, mail_sync, mail_watch_renewal
from tests.gmail_fixtures import GmailRig
from tests.integration.flows.test_listing_flows import _report, _task_runs
from wonder.db.models import MailMessage
from wonder.mail.process import PARSER_VERSION
from wonder.sandbox.gmail.config import GmailAdvance

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def mail_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, gmail: GmailRig
) -> GmailRig:
    monkeypatch.setenv("WONDER_DATABASE_URL", database_url)
    monkeypatch.setenv("WONDER_GMAIL__BASE_URL", gmail.base_url)
    monkeypatch.setenv("WONDER_GMAIL__BACKOFF_BASE_SECONDS", "0.001")
    monkeypatch.setenv("WONDER_FLOWS__TASK_RETRY_BACKOFF_SECONDS", "0")
    return gmail


def _stored(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(MailMessage.mailbox, func.count()).group_by(MailMessage.mailbox)
        ).all()
    return {mailbox: count for mailbox, count in rows}


def _senders(engine: Engine) -> dict[str, str | None]:
    """gmail id -> the From address parsing found; only messages parsed by the current parser."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(MailMessage.gmail_id, MailMessage.from_address).where(
                MailMessage.parser_version == PARSER_VERSION
            )
        ).all()
    return {gmail_id: sender for gmail_id, sender in rows}


def _truth_senders(gmail: GmailRig) -> dict[str, str | None]:
    return {
        gmail_id: facts.get("sender")
        for box in gmail.sandbox.state.truth().values()
        for gmail_id, facts in box.items()
    }


def _run(flow: Any, **parameters: Any) -> Any:
    state = flow(return_state=True, **parameters)
    return state


def test_mail_sync_stores_every_mailbox_one_task_each(
    engine: Engine, mail_environment: GmailRig
) -> None:
    sandbox = mail_environment.sandbox
    state = _run(mail_sync)
    assert state.is_completed(), state.message
    truth = {a: len(b.messages) for a, b in sandbox.state.mailboxes.items()}
    assert _stored(engine) == truth
    run_id = state.state_details.flow_run_id
    assert set(_task_runs(run_id)) == set(truth) | {"process"}
    report = _report(run_id, "mail-sync-report")
    assert "Gmail quota units used" in report
    assert f"| process (parse + link) | {sum(truth.values())} |" in report
    summary = state.result()
    assert summary.written == sum(truth.values())
    # The processing task parsed every stored message: each sender as the sandbox says.
    assert _senders(engine) == _truth_senders(mail_environment)

    sandbox.apply_advance(GmailAdvance(seconds=5, new_messages=4))
    again = _run(mail_sync)
    assert again.result().written == 4
    assert _stored(engine) == {a: len(b.messages) for a, b in sandbox.state.mailboxes.items()}
    assert again.result().per_step["process"].parsed == 4
    assert _senders(engine) == _truth_senders(mail_environment)


def test_a_refused_token_fails_the_run_naming_the_mailboxes(
    engine: Engine, mail_environment: GmailRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WONDER_GMAIL__TOKEN", "not-the-token")
    state = _run(mail_sync)
    assert state.is_failed()
    with pytest.raises(MailSyncFailed, match="AuthError"):
        state.result()
    # The first mailbox's AuthError is not retried and the second is skipped, not attempted.
    runs = _task_runs(state.state_details.flow_run_id)
    assert list(runs) == ["agent@wonderstreet.example"]
    assert "not-the-token" not in str(state.message)


def test_watch_renewal_watches_every_mailbox(mail_environment: GmailRig) -> None:
    state = _run(mail_watch_renewal)
    assert state.is_completed(), state.message
    boxes = mail_environment.sandbox.state.mailboxes
    assert all(box.watch is not None for box in boxes.values())
    assert len(state.result()) == len(boxes)
