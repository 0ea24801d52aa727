"""`wonder status` on a database seeded with known rows: every section says what the rows say,
as text and as JSON, and no secret ever shows."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.api.conftest import make_listing
from tests.integration.grpc_platform.test_command_groups import declared_commands
from wonder.auth.store import create_token, revoke_token
from wonder.cli import build_parser
from wonder.db.enums import ChangeKind
from wonder.db.models import (
    HeldDelete,
    HeldDeleteStatus,
    IngestCursor,
    ListingChange,
    QuarantinedRecord,
)
from wonder.db.readiness import check_database
from wonder.listings.api_version import RENDER_VERSION
from wonder.settings import Settings
from wonder.status.collect import collect_status

# Relative to the real clock: `wonder status` measures lag and newness from now.
NOW = datetime.now(UTC).replace(microsecond=0)
HOUR = timedelta(hours=1)


def quarantined(resource: str, key: str, first: datetime, last: datetime, **extra: object):
    return QuarantinedRecord(
        resource=resource,
        record_key=key,
        reason=f"{key}: ListPrice is not a number",
        payload_hash=key.ljust(64, "0"),
        raw={"ListingKey": key},
        first_seen_at=first,
        last_seen_at=last,
        **extra,
    )


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Cursors, a change feed, a quarantine, held deletes and tokens; returns the tokens."""
    with sessions.begin() as session:
        session.add_all(
            [
                IngestCursor(
                    name="Property",
                    modification_timestamp=NOW - 3 * HOUR,
                    last_key="L-300",
                    state={},
                    updated_at=NOW - 2 * HOUR,
                ),
                IngestCursor(
                    name="Property:first_load",
                    modification_timestamp=NOW - 48 * HOUR,
                    last_key="L-999",
                    state={"done": True},
                    updated_at=NOW - 47 * HOUR,
                ),
                IngestCursor(
                    name="Member",
                    modification_timestamp=NOW - timedelta(minutes=30),
                    last_key=None,
                    state={},
                    updated_at=NOW - timedelta(minutes=20),
                ),
                ListingChange(listing_key="L-1", kind=ChangeKind.UPSERT, changed_at=NOW - 5 * HOUR),
                ListingChange(listing_key="L-7", kind=ChangeKind.DELETE, changed_at=NOW - HOUR),
                # Property: one new (first seen 2 h ago), one older and met again since, one
                # older seen once; a resolved one does not count.
                quarantined("Property", "P-new", NOW - 2 * HOUR, NOW - 2 * HOUR),
                quarantined("Property", "P-again", NOW - 72 * HOUR, NOW - 2 * HOUR),
                quarantined("Property", "P-once", NOW - 30 * HOUR, NOW - 30 * HOUR),
                quarantined(
                    "Property", "P-fixed", NOW - 90 * HOUR, NOW - 80 * HOUR, resolved_at=NOW - HOUR
                ),
                quarantined("Media", "M-1", NOW - 26 * HOUR, NOW - 25 * HOUR),
                HeldDelete(
                    resource="Property",
                    keys=["L-1", "L-2", "L-3"],
                    stored_count=40,
                    created_at=NOW - 4 * HOUR,
                    status=HeldDeleteStatus.HELD,
                ),
                HeldDelete(
                    resource="Property",
                    keys=["L-9"],
                    stored_count=40,
                    created_at=NOW - 50 * HOUR,
                    status=HeldDeleteStatus.REJECTED,
                    decided_at=NOW - 49 * HOUR,
                ),
            ]
        )
        active = create_token(session, "reporting", "listings:read", NOW - 10 * HOUR)
        revoked = create_token(session, "leaver", "listings:read,sync:read", NOW - 20 * HOUR)
        revoke_token(session, "leaver", NOW - 5 * HOUR)
    return {"reporting": active.token, "leaver": revoked.token}


def test_collect_status_reports_the_seeded_rows(
    sessions: sessionmaker[Session], database_url: str, seeded: dict[str, str]
) -> None:
    with sessions() as session:
        report = collect_status(session, check_database(database_url), NOW)

    assert report.database.ready
    cursors = {c.name: c for c in report.cursors}
    assert list(cursors) == ["Member", "Property", "Property:first_load"]
    assert cursors["Property"].behind_seconds == 3 * 3600
    assert cursors["Property"].last_key == "L-300"
    assert cursors["Property"].updated_at == NOW - 2 * HOUR
    assert cursors["Member"].behind_seconds == 30 * 60
    assert cursors["Property:first_load"].state == {"done": True}

    assert report.newest_change is not None
    assert (report.newest_change.seq, report.newest_change.listing_key) == (2, "L-7")
    assert report.newest_change.kind == "delete"

    groups = {q.resource: q for q in report.quarantine}
    assert list(groups) == ["Media", "Property"]
    prop = groups["Property"]
    assert (prop.open, prop.new, prop.still_open, prop.seen_again) == (3, 1, 2, 1)
    assert (prop.first_seen_at, prop.last_seen_at) == (NOW - 72 * HOUR, NOW - 2 * HOUR)
    media = groups["Media"]
    assert (media.open, media.new, media.still_open, media.seen_again) == (1, 0, 1, 1)

    assert [(h.resource, h.keys, h.stored_count) for h in report.held_deletes] == [
        ("Property", 3, 40)
    ]
    tokens = {t.name: t for t in report.tokens}
    assert tokens["reporting"].active
    assert tokens["reporting"].created_at == NOW - 10 * HOUR
    assert tokens["leaver"].revoked_at == NOW - 5 * HOUR
    assert tokens["leaver"].scopes == ["listings:read", "sync:read"]


def run_status(database_url: str, *argv: str) -> int:
    parser = build_parser(declared_commands())
    args: argparse.Namespace = parser.parse_args(["status", *argv])
    result: int = args.handler(Settings(database_url=database_url), args)
    return result


def test_status_prints_every_section_and_no_secret(
    database_url: str, seeded: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_status(database_url) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"database  {check_database(database_url).url}: ready (revision ")
    rows = [line.split() for line in text.splitlines() if line.startswith("  ")]
    # RESOURCE OPEN NEW-24H OLDER MET-AGAIN
    assert ["Property", "3", "1", "2", "1"] in [row[:5] for row in rows]
    assert any(row[0] == "Property" and "L-300" in row for row in rows)
    assert "(first load done)" in text
    assert "change feed: newest row #2, delete of L-7" in text
    assert "Prefect flow runs are not in this database" in text
    assert "#1 Property: 3 of 40 stored" in text
    assert "#2 " not in text  # the rejected hold awaits nothing
    assert any(row[0] == "leaver" and row[2] == "revoked" for row in rows)
    assert any(row[0] == "reporting" and row[2] == "active" for row in rows)
    for token in seeded.values():
        assert token not in text


def test_status_json_has_the_same_facts(
    database_url: str, seeded: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_status(database_url, "--json") == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert document["database"]["state"] == "ready"
    assert document["database"]["revision"] == document["database"]["head"]
    assert [c["name"] for c in document["cursors"]] == ["Member", "Property", "Property:first_load"]
    assert document["newest_change"]["listing_key"] == "L-7"
    assert {q["resource"]: q["open"] for q in document["quarantine"]} == {"Media": 1, "Property": 3}
    assert [h["keys"] for h in document["held_deletes"]] == [3]
    assert {t["name"]: t["revoked_at"] is None for t in document["tokens"]} == {
        "leaver": False,
        "reporting": True,
    }
    assert document["tokens"][0]["created_at"].endswith("+00:00")
    for token in seeded.values():
        assert token not in out
    assert "token_hash" not in out


def test_status_counts_the_rows_read_from_their_columns(
    database_url: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    """Two listings, one with a current stored message; the truth is the rows seeded here."""
    with sessions.begin() as session:
        session.add_all(
            [
                make_listing("L-1", change_seq=5, api_seq=5, api_version=RENDER_VERSION),
                make_listing("L-2", change_seq=6, api_seq=5, api_version=RENDER_VERSION),
            ]
        )
    assert run_status(database_url) == 0
    text = capsys.readouterr().out
    assert (
        "API messages: 2 listings, 0 photos; 1 listings and 0 photos are mapped from their"
        " columns on every read (slower): wonder listings render"
    ) in text
    assert run_status(database_url, "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stored_messages"] == {
        "listings": 2,
        "listings_not_current": 1,
        "media": 0,
        "media_not_current": 0,
    }
