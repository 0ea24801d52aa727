"""The quarantine's run tally (new versus still open) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from wonder.ingest.quarantine import entry_for, open_counts, quarantine, tally_since

RUN_1 = datetime(2026, 3, 1, 12, tzinfo=UTC)
RUN_2 = RUN_1 + timedelta(minutes=15)


def _quarantine(sessions: sessionmaker[Session], now: datetime, *entries: tuple[Any, ...]) -> None:
    with sessions.begin() as session:
        quarantine(session, [entry_for(*entry) for entry in entries], now)


def test_a_record_met_again_is_still_open_not_new(sessions: sessionmaker[Session]) -> None:
    bad = ("Property", "L1", "ListPrice: not a number", {"ListingKey": "L1", "ListPrice": "x"})
    _quarantine(sessions, RUN_1, bad)
    with sessions() as session:
        first = tally_since(session, RUN_1)
    assert (first["Property"].new, first["Property"].still_open) == (1, 0)
    assert [n.reason for n in first["Property"].new_records] == ["ListPrice: not a number"]

    _quarantine(sessions, RUN_2, bad)  # the next run meets the same record again
    with sessions() as session:
        second = tally_since(session, RUN_2)
        counts = open_counts(session)
    assert (second["Property"].new, second["Property"].still_open) == (0, 1)
    assert [n.record_key for n in second["Property"].still_open_records] == ["L1"]
    assert counts == {"Property": 1}


def test_a_changed_payload_of_an_open_record_is_still_open(
    sessions: sessionmaker[Session],
) -> None:
    _quarantine(sessions, RUN_1, ("Property", "L1", "bad price", {"ListingKey": "L1", "v": 1}))
    _quarantine(
        sessions,
        RUN_2,
        ("Property", "L1", "bad status", {"ListingKey": "L1", "v": 2}),
        ("Property", "L2", "bad price", {"ListingKey": "L2"}),
        ("Media", None, "no key", {"MediaURL": "x"}),
    )
    with sessions() as session:
        tally = tally_since(session, RUN_2)
        counts = open_counts(session)
    assert (tally["Property"].new, tally["Property"].still_open) == (1, 1)
    assert [n.record_key for n in tally["Property"].new_records] == ["L2"]
    assert (tally["Media"].new, tally["Media"].still_open) == (1, 0)  # keyless: by payload
    assert counts == {"Media": 1, "Property": 2}  # L1 (two payloads) and L2


def test_records_not_met_since_are_in_neither_count(sessions: sessionmaker[Session]) -> None:
    _quarantine(sessions, RUN_1, ("Office", "O1", "bad", {"OfficeKey": "O1"}))
    with sessions() as session:
        assert tally_since(session, RUN_2) == {}
        assert open_counts(session) == {"Office": 1}


def test_the_sample_is_bounded_but_the_counts_are_not(sessions: sessionmaker[Session]) -> None:
    entries = [("Member", f"M{i:02}", "bad", {"MemberKey": f"M{i:02}"}) for i in range(15)]
    _quarantine(sessions, RUN_1, *entries)
    with sessions() as session:
        tally = tally_since(session, RUN_1, sample=3)["Member"]
    assert tally.new == 15
    assert len(tally.new_records) == 3
