"""`wonder status [--json]`: the database, the ingest cursors and their lag, the change feed, the
listings the API maps from their columns, the quarantine, held deletes and API tokens, read again
each time (registered as an entry point of ``wonder.commands`` in pyproject.toml)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wonder.db.cli import NOT_READY_EXIT
from wonder.settings import Settings

if TYPE_CHECKING:
    from wonder.status.collect import StatusReport, StoredMessages


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="show the database, ingest cursors and lag, quarantine, held deletes and tokens",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON document (datetimes ISO 8601, UTC)"
    )
    parser.set_defaults(handler=_status)


def _status(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.db.engine import make_engine, session_factory
    from wonder.db.readiness import check_database
    from wonder.status.collect import collect_status, readiness_json

    readiness = check_database(settings.database_url)
    if not readiness.ready:
        if args.json:
            print(json.dumps({"database": readiness_json(readiness)}, indent=2))
        print(f"error: {readiness.problem()}", file=sys.stderr)
        return NOT_READY_EXIT
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            report = collect_status(session, readiness, datetime.now(UTC))
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(render(report)))
    return 0


def render(report: StatusReport) -> list[str]:
    """The report as text: one section per kind of state, each saying where to act on it."""
    now = report.generated_at
    lines = [
        f"database  {report.database.url}: {report.database.describe()}",
        f"as of     {_when(now)} UTC",
        "",
        "ingest cursors (position: the newest source change committed; behind: now - position)",
    ]
    if not report.cursors:
        lines.append("  none yet: no ingest has committed a page (wonder listings first-load)")
    else:
        lines.append(f"  {'NAME':<22} {'POSITION':<19}  {'BEHIND':<12} {'LAST KEY':<16} UPDATED")
    for cursor in report.cursors:
        position = _when(cursor.modification_timestamp)
        behind = "-" if cursor.behind_seconds is None else _duration(cursor.behind_seconds)
        note = ""
        if "done" in cursor.state:  # a first load: its position is the mark it started from
            behind = "-"
            note = "  (first load done)" if cursor.state["done"] else "  (first load running)"
        lines.append(
            f"  {cursor.name:<22} {position:<19}  {behind:<12} {cursor.last_key or '-':<16}"
            f" {_when(cursor.updated_at)} ({_duration((now - cursor.updated_at).total_seconds())}"
            f" ago){note}"
        )
    lines.append("")
    change = report.newest_change
    if change is None:
        lines.append("change feed: empty")
    else:
        ago = _duration((now - change.changed_at).total_seconds())
        lines.append(
            f"change feed: newest row #{change.seq}, {change.kind} of {change.listing_key}"
            f" at {_when(change.changed_at)} ({ago} ago)"
        )
    lines.append(_stored_messages(report.stored_messages))
    lines.append(report.flow_runs)
    lines.append("")
    lines.append("quarantine: unresolved records (wonder listings quarantine list --resource R)")
    if not report.quarantine:
        lines.append("  none")
    else:
        lines.append(
            f"  {'RESOURCE':<10} {'OPEN':>5} {'NEW 24H':>8} {'OLDER':>6} {'MET AGAIN':>10}"
            f"  {'FIRST SEEN':<19}  LAST SEEN"
        )
    for group in report.quarantine:
        lines.append(
            f"  {group.resource:<10} {group.open:>5} {group.new:>8} {group.still_open:>6}"
            f" {group.seen_again:>10}  {_when(group.first_seen_at):<19}"
            f"  {_when(group.last_seen_at)}"
        )
    lines.append("")
    lines.append("held deletes awaiting a decision (wonder listings deletes approve|reject ID)")
    if not report.held_deletes:
        lines.append("  none")
    for held in report.held_deletes:
        lines.append(
            f"  #{held.id} {held.resource}: {held.keys} of {held.stored_count} stored,"
            f" held since {_when(held.created_at)}"
        )
    lines.append("")
    lines.append("API tokens (wonder tokens create|list|revoke)")
    if not report.tokens:
        lines.append("  none")
    else:
        lines.append(
            f"  {'NAME':<28} {'PREFIX':<12} {'STATUS':<8} {'CREATED':<19}  {'LAST USED':<19}"
            f"  {'REVOKED':<19}  SCOPES"
        )
    for token in report.tokens:
        status = "active" if token.active else "revoked"
        lines.append(
            f"  {token.name:<28} {token.prefix + '…':<12} {status:<8} {_when(token.created_at):<19}"
            f"  {_when(token.last_used_at):<19}  {_when(token.revoked_at):<19}"
            f"  {','.join(token.scopes)}"
        )
    return lines


def _stored_messages(stored: StoredMessages | None) -> str:
    if stored is None:
        return "API messages: not counted"
    counts = f"{stored.listings:,} listings, {stored.media:,} photos"
    if not stored.listings_not_current and not stored.media_not_current:
        return f"API messages: {counts}, every one stored and current"
    return (
        f"API messages: {counts}; {stored.listings_not_current:,} listings and "
        f"{stored.media_not_current:,} photos are mapped from their columns on every read "
        "(slower): wonder listings render"
    )


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``; negative (ahead of now) keeps its sign."""
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds))
    if total < 60:
        text = f"{total} s"
    elif total < 3600:
        text = f"{total // 60} min"
    elif total < 86400:
        text = f"{total // 3600} h {total % 3600 // 60} min"
    else:
        text = f"{total // 86400} d {total % 86400 // 3600} h"
    return sign + text
