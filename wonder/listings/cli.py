"""`wonder listings ...`: run the ingest by hand, look after its held deletes and quarantine, and
render the API messages of rows written before they were stored.

Registered as the ``30-listings`` entry point of ``wonder.commands`` (pyproject.toml); also
runnable on its own as ``python -m wonder.listings.cli <command>``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from wonder.db.cli import requires_database
from wonder.db.enums import HeldDeleteStatus
from wonder.errors import PlatformError
from wonder.settings import Settings

logger = logging.getLogger("wonder.listings")
# The RESO resources the listing ingest quarantines records of (wonder.listings.ports; a test
# keeps the two in step, this module stays light to import).
QUARANTINE_RESOURCES = ("Property", "Media", "Member", "Office")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "listings", help="MLS listing ingest from Trestle: first load, incremental, census, deletes"
    )
    commands = parser.add_subparsers(dest="listings_command", metavar="COMMAND", required=True)
    commands.add_parser(
        "first-load", help="replicate every listing (with media), agent and office; resumable"
    ).set_defaults(handler=_first_load)
    commands.add_parser(
        "incremental", help="apply what changed at the source since the stored cursors"
    ).set_defaults(handler=_incremental)
    commands.add_parser(
        "census", help="soft-delete listings gone from the source (mass deletes are held)"
    ).set_defaults(handler=_census)

    render = commands.add_parser(
        "render",
        help="store the API messages of listings and photos without current ones "
        "(after an upgrade); safe beside a running ingest",
    )
    render.add_argument(
        "--batch", type=int, default=1000, help="rows per transaction (default: 1000)"
    )
    render.set_defaults(handler=_render)

    deletes = commands.add_parser("deletes", help="census deletes held for approval")
    delete_commands = deletes.add_subparsers(
        dest="deletes_command", metavar="ACTION", required=True
    )
    listing = delete_commands.add_parser("list", help="list held deletes")
    listing.add_argument(
        "--status",
        default=None,
        choices=[status.value for status in HeldDeleteStatus],
        help="only holds in this state (default: all)",
    )
    listing.set_defaults(handler=_deletes_list)
    approve = delete_commands.add_parser("approve", help="apply a held delete")
    approve.add_argument("id", type=int, help="the held delete's number (see `deletes list`)")
    approve.set_defaults(handler=_deletes_approve)
    reject = delete_commands.add_parser("reject", help="discard a held delete")
    reject.add_argument("id", type=int, help="the held delete's number (see `deletes list`)")
    reject.set_defaults(handler=_deletes_reject)

    quarantine = commands.add_parser("quarantine", help="records the ingest could not accept")
    quarantine_commands = quarantine.add_subparsers(
        dest="quarantine_command", metavar="ACTION", required=True
    )
    quarantine_list = quarantine_commands.add_parser("list", help="list unresolved records")
    quarantine_list.add_argument(
        "--resource",
        default=None,
        choices=QUARANTINE_RESOURCES,
        help="only records of this resource (default: all)",
    )
    quarantine_list.add_argument(
        "--limit", type=int, default=50, help="at most this many, newest first (default: 50)"
    )
    quarantine_list.set_defaults(handler=_quarantine_list)


@contextmanager
def _sessions(settings: Settings) -> Iterator[Any]:
    from wonder.db.engine import make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _run_ingest(settings: Settings, run: Callable[..., Any]) -> int:
    from wonder.clients.errors import ClientError
    from wonder.clients.trestle import TrestleClient
    from wonder.listings.report import progress_logger

    with _sessions(settings) as sessions, TrestleClient(settings.trestle) as client:
        try:
            result = run(client, sessions, settings.listings, progress=progress_logger(logger))
        except ClientError as error:
            print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
            return 2
    for report in result if isinstance(result, list) else [result]:
        print(report.summary())
    return 0


@requires_database
def _first_load(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.listings import service

    return _run_ingest(settings, service.first_load)


@requires_database
def _incremental(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.listings import service

    return _run_ingest(settings, service.incremental)


@requires_database
def _census(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.listings import service

    return _run_ingest(settings, service.census)


@requires_database
def _render(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.listings.rerender import RenderReport, render_not_current

    if args.batch < 1:
        print("error: --batch must be at least 1", file=sys.stderr)
        return 2

    def progress(report: RenderReport) -> None:
        logger.info("%s so far", report.summary())

    with _sessions(settings) as sessions:
        print(render_not_current(sessions, batch=args.batch, progress=progress).summary())
    return 0


@requires_database
def _deletes_list(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.ingest.held_deletes import list_held_deletes

    status = HeldDeleteStatus(args.status) if args.status else None
    with _sessions(settings) as sessions, sessions() as session:
        held = list_held_deletes(session, status=status)
        if not held:
            print("no held deletes")
        for row in held:
            sample = ", ".join(row.keys[:5]) + (" ..." if len(row.keys) > 5 else "")
            print(
                f"#{row.id} {row.status} {row.resource}: {len(row.keys)} of {row.stored_count} "
                f"stored, created {row.created_at.isoformat()} [{sample}]"
            )
    return 0


def _decide(settings: Settings, held_id: int, approve: bool) -> int:
    from wonder.listings import service

    with _sessions(settings) as sessions:
        try:
            if approve:
                count = service.approve_held_delete(sessions, held_id)
                print(f"held delete #{held_id} applied: {count} listings deleted")
            else:
                count = service.reject_held_delete(sessions, held_id)
                print(f"held delete #{held_id} rejected: {count} keys kept")
        except PlatformError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


@requires_database
def _deletes_approve(settings: Settings, args: argparse.Namespace) -> int:
    return _decide(settings, args.id, approve=True)


@requires_database
def _deletes_reject(settings: Settings, args: argparse.Namespace) -> int:
    return _decide(settings, args.id, approve=False)


@requires_database
def _quarantine_list(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.ingest.quarantine import list_quarantine

    with _sessions(settings) as sessions, sessions() as session:
        rows = list_quarantine(session, resource=args.resource, limit=args.limit)
        if not rows:
            print("no quarantined records")
        for row in rows:
            print(
                f"#{row.id} {row.resource} {row.record_key or '(no key)'}: {row.reason} "
                f"(first {row.first_seen_at.isoformat()}, last {row.last_seen_at.isoformat()})"
            )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wonder.listings.cli ...``: the same commands without the ``wonder`` entry."""
    parser = argparse.ArgumentParser(prog="wonder-listings")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    # Accept both "listings first-load" and "first-load".
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] != "listings":
        args_list.insert(0, "listings")
    args = parser.parse_args(args_list)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    result: int = args.handler(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
