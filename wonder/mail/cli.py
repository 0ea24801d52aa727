"""`wonder mail ...`: sync mailboxes from Gmail and (re)start push by hand.

Registered as the ``35-mail`` entry point of ``wonder.commands`` (pyproject.toml).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wonder.db.cli import requires_database
from wonder.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "mail", help="Gmail mail ingest: sync mailboxes (full, then history), renew push watches"
    )
    commands = parser.add_subparsers(dest="mail_command", metavar="COMMAND", required=True)
    sync = commands.add_parser(
        "sync", help="bring each mailbox up to date (a full sync the first time; resumable)"
    )
    sync.add_argument(
        "--mailbox", action="append", default=None, help="only this mailbox (repeatable)"
    )
    sync.set_defaults(handler=_sync)
    backfill = commands.add_parser(
        "backfill",
        help="fetch what a Gmail search matches and is not stored (the history cursor untouched)",
    )
    backfill.add_argument(
        "--query",
        required=True,
        help='Gmail search, e.g. "in:anywhere" or "after:2024/01/01 before:2024/07/01"',
    )
    backfill.add_argument(
        "--mailbox", action="append", default=None, help="only this mailbox (repeatable)"
    )
    backfill.set_defaults(handler=_backfill)
    process = commands.add_parser(
        "process",
        help="parse stored messages not parsed by this version; link contacts and listings",
    )
    process.add_argument("--mailbox", default=None, help="only this mailbox")
    process.set_defaults(handler=_process)
    commands.add_parser(
        "watch", help="start or renew Gmail push (users.watch) for every mailbox"
    ).set_defaults(handler=_watch)


@requires_database
def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wonder.clients.errors import ClientError
    from wonder.db.engine import make_engine, session_factory
    from wonder.mail.service import sync_mailboxes

    unknown = sorted(set(args.mailbox or ()) - set(settings.gmail.mailboxes))
    if unknown:
        print(f"error: not a configured mailbox: {', '.join(unknown)}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        reports = sync_mailboxes(
            session_factory(engine),
            settings.gmail,
            clock=lambda: datetime.now(UTC),
            mailboxes=args.mailbox,
        )
    except ClientError as error:
        print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for report in reports:
        print(
            f"{report.mailbox}: {report.mode} sync, stored {report.stored}, "
            f"duplicates {report.duplicates}, re-queued {report.requeued}, "
            f"still queued {report.still_queued}, history {report.history_id}, "
            f"quota units {report.units_used}"
        )
    return _process(settings, argparse.Namespace(mailbox=None))


@requires_database
def _backfill(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wonder.clients.errors import ClientError
    from wonder.db.engine import make_engine, session_factory
    from wonder.mail.service import backfill_mailbox

    chosen = args.mailbox or list(settings.gmail.mailboxes)
    unknown = sorted(set(chosen) - set(settings.gmail.mailboxes))
    if unknown:
        print(f"error: not a configured mailbox: {', '.join(unknown)}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        for mailbox in chosen:
            report = backfill_mailbox(
                session_factory(engine),
                settings.gmail,
                mailbox,
                args.query,
                clock=lambda: datetime.now(UTC),
            )
            print(
                f"{report.mailbox}: backfill {args.query!r}: listed {report.listed}, "
                f"stored {report.stored}, still queued {report.still_queued}, "
                f"quota units {report.units_used}",
                flush=True,
            )
    except ClientError as error:
        print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return _process(settings, argparse.Namespace(mailbox=None))


@requires_database
def _process(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from wonder.db.engine import make_engine, session_factory
    from wonder.mail.process import process_messages

    engine = make_engine(settings.database_url)
    try:
        report = process_messages(
            session_factory(engine), clock=lambda: datetime.now(UTC), mailbox=args.mailbox
        )
    finally:
        engine.dispose()
    print(
        f"processed {report.parsed} messages in {report.pages} pages: "
        f"{report.with_defects} with defects ({report.unparseable} unparseable), "
        f"{report.contact_links} contact links, {report.listing_links} listing links"
    )
    return 0


def _watch(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.clients.errors import ClientError
    from wonder.mail.service import renew_watches

    try:
        renewals = renew_watches(settings.gmail)
    except ClientError as error:
        print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    for renewal in renewals:
        print(
            f"{renewal.mailbox}: watching from history {renewal.history_id}, "
            f"expires {renewal.expires_at.isoformat()}"
        )
    return 0
