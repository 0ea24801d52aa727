"""`wonder mail sync` and `wonder mail watch` against the Gmail sandbox, on both databases."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.integration.grpc_platform.test_command_groups import declared_commands
from wonder.cli import build_parser
from wonder.db.models import MailMessage
from wonder.settings import GmailSettings, Settings


def run(settings: Settings, *argv: str) -> int:
    args = build_parser(declared_commands()).parse_args(list(argv))
    result: int = args.handler(settings, args)
    return result


def settings_for(gmail: GmailRig, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        gmail=GmailSettings(base_url=gmail.base_url, backoff_base_seconds=0.001, regime="legacy"),
    )


def test_mail_sync_stores_every_mailbox(
    gmail: GmailRig,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(gmail, database_url)
    assert run(settings, "mail", "sync") == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:-1]] == list(settings.gmail.mailboxes)
    with sessions() as session:
        counts = dict(
            session.execute(
                select(MailMessage.mailbox, func.count()).group_by(MailMessage.mailbox)
            ).all()
        )
        unparsed = session.scalar(select(func.count()).where(MailMessage.parsed_at.is_(None)))
    truth = {a: len(b.messages) for a, b in gmail.sandbox.state.mailboxes.items()}
    assert counts == truth
    # The sync processes what it stored: every message parsed, in the last line's count.
    assert out[-1].startswith(f"processed {sum(truth.values())} messages")
    assert unparsed == 0


def test_mail_process_parses_what_is_not_parsed(
    gmail: GmailRig,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(gmail, database_url)
    assert run(settings, "mail", "sync") == 0
    capsys.readouterr()
    assert run(settings, "mail", "process") == 0
    assert capsys.readouterr().out.startswith("processed 0 messages")


def test_an_unknown_mailbox_is_refused(
    gmail: GmailRig, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings_for(gmail, database_url), "mail", "sync", "--mailbox", "x@y.z") == 2
    assert "not a configured mailbox: x@y.z" in capsys.readouterr().err


def test_a_refused_token_is_one_line_without_the_token(
    gmail: GmailRig, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(gmail, database_url)
    secret = "wrong-secret-token-123"
    settings = settings.model_copy(
        update={"gmail": settings.gmail.model_copy(update={"token": SecretStr(secret)})}
    )
    assert run(settings, "mail", "sync") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: AuthError: Gmail refused the credentials")
    assert secret not in err


def test_mail_watch_starts_push_for_every_mailbox(
    gmail: GmailRig, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings_for(gmail, database_url), "mail", "watch") == 0
    watched = [a for a, box in gmail.sandbox.state.mailboxes.items() if box.watch is not None]
    assert watched == list(gmail.sandbox.state.mailboxes)
    assert "expires" in capsys.readouterr().out


def test_mail_backfill_fetches_a_search_and_refuses_an_unknown_mailbox(
    gmail: GmailRig,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(gmail, database_url)
    mailbox = settings.gmail.mailboxes[0]
    assert run(settings, "mail", "backfill", "--query", "in:anywhere", "--mailbox", "x@y") == 2
    assert "not a configured mailbox: x@y" in capsys.readouterr().err
    assert run(settings, "mail", "backfill", "--query", "in:anywhere", "--mailbox", mailbox) == 0
    assert capsys.readouterr().out.startswith(f"{mailbox}: backfill 'in:anywhere': listed ")
    with sessions() as session:
        stored = session.scalar(select(func.count()).where(MailMessage.mailbox == mailbox))
    assert stored == len(gmail.sandbox.state.mailboxes[mailbox].messages)
