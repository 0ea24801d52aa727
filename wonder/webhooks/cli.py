"""`wonder webhooks serve | drain | dead-letters list | dead-letters replay`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wonder.db.cli import requires_database
from wonder.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "webhooks", help="run the webhook receiver; drain the inbox; list and replay dead letters"
    )
    actions = parser.add_subparsers(dest="webhooks_action", metavar="ACTION", required=True)

    serve = actions.add_parser(
        "serve", help="receive Buildium and Gmail push webhooks into the inbox (until Ctrl-C)"
    )
    serve.add_argument("--host", help="address to bind (default: WONDER_WEBHOOKS__HOST)")
    serve.add_argument(
        "--port", type=int, help="port (default: WONDER_WEBHOOKS__PORT; 0 = any free port)"
    )
    serve.set_defaults(handler=_serve)

    drain = actions.add_parser(
        "drain", help="process pending inbox events with the installed source handlers, once"
    )
    drain.set_defaults(handler=_drain)

    dead = actions.add_parser("dead-letters", help="events that kept failing, with the reason")
    dead_actions = dead.add_subparsers(dest="dead_action", metavar="ACTION", required=True)
    listing = dead_actions.add_parser("list", help="list dead letters (id, source, reason)")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    listing.set_defaults(handler=_list)
    replay = dead_actions.add_parser(
        "replay", help="put dead letters back to pending (the next drain processes them)"
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", type=int, default=[], help="dead letter ids")
    which.add_argument("--all", action="store_true", help="every dead letter")
    replay.set_defaults(handler=_replay)


@requires_database
def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.webhooks.serve import serve_forever

    host = args.host or settings.webhooks.host
    port = settings.webhooks.port if args.port is None else args.port
    return serve_forever(settings, host, port)


@requires_database
def _drain(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.db.engine import make_engine, session_factory
    from wonder.webhooks.drain import drain
    from wonder.webhooks.registry import installed_handlers

    handlers = installed_handlers(settings)
    if not handlers:
        print("no webhook handlers installed (wonder.webhook_handlers): nothing to process")
        return 0
    engine = make_engine(settings.database_url)
    try:
        report = drain(session_factory(engine), handlers, policy_from(settings))
    finally:
        engine.dispose()
    print(
        f"processed {report.processed} events ({report.coalesced} coalesced) of"
        f" {report.entities} entities; {report.failed} failed, {report.dead_lettered} dead letters"
    )
    return 0


def policy_from(settings: Settings) -> Any:
    from wonder.webhooks.drain import DrainPolicy

    hooks = settings.webhooks
    return DrainPolicy(hooks.max_attempts, hooks.batch_size, hooks.claim_lease_seconds)


@requires_database
def _list(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.db.engine import make_engine, session_factory
    from wonder.db.uow import unit_of_work
    from wonder.webhooks.inbox import dead_letters

    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            rows = dead_letters(session, args.limit)
            print(f"{'ID':>8}  {'SOURCE':<10} {'ENTITY':<28} {'TRIES':>5}  DEAD AT / REASON")
            for row in rows:
                when = row.dead_at.isoformat(timespec="seconds") if row.dead_at else "-"
                reason = (row.last_error or "").splitlines()[0][:120] if row.last_error else ""
                print(
                    f"{row.id:>8}  {row.source:<10} {row.entity_key[:28]:<28} {row.attempts:>5}"
                    f"  {when}  {reason}"
                )
            if not rows:
                print("no dead letters")
    finally:
        engine.dispose()
    return 0


@requires_database
def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.db.engine import make_engine, session_factory
    from wonder.db.uow import unit_of_work
    from wonder.webhooks.inbox import replay

    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            count = replay(session, None if args.all else args.ids)
    finally:
        engine.dispose()
    if not args.all and count < len(set(args.ids)):
        print(
            f"replayed {count} of {len(set(args.ids))}: the others are not dead letters",
            file=sys.stderr,
        )
        return 1
    print(f"replayed {count} dead letters: the next drain processes them")
    return 0
