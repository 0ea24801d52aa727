"""The SQL directories over members/offices/listings answer as the in-memory ones do (both
dialects), including the Gmail and plus-addressing forms and deleted rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.unit.mail.factories import message
from wonder.db.models import Listing, Member, Office
from wonder.mail.directory import Contact, ContactKind, InMemoryContactDirectory
from wonder.mail.linking import LinkMethod, link_message
from wonder.mail.matching import address_key, name_key
from wonder.mail.message import Address
from wonder.mail.sql_directory import SqlListings, SqlTrestleContacts

NOW = datetime(2025, 1, 1, tzinfo=UTC)
MEMBERS = [
    ("M1", "Jane", "Smith", "Jane Smith", "Jane.Smith@Realty.example", None),
    ("M2", "José", "Álvarez", None, "jose.alvarez@gmail.com", None),
    ("M3", "Bob", "Stone", "Bob Stone", "bob+work@outlook.com", None),
    ("M4", "Bob", "Stone", "Bob Stone", "bstone@example.net", None),
    ("M5", "Gone", "Agent", "Gone Agent", "gone@realty.example", NOW),  # deleted
    ("M6", "Ann", "O'Neil_x", "Ann O'Neil_x", "ann_100%@realty.example", None),
]
OFFICES = [("O1", "Wonder Realty, Inc.", "office@wonder.example")]
LISTINGS = [
    ("100000001", "WS2400001", "45 Oak Ave #4B, Springfield, IL 62701", "45", "Oak", "4B"),
    ("100000002", "WS2400002", "45 Oak Ave #5C, Springfield, IL 62701", "45", "Oak", "5C"),
    ("100000003", "ws2400003", None, "12", "North Main Street", None),
    ("100000004", "WS2400004", "9 Pine Rd, Springfield, IL 62701", None, None, None),
]


@pytest.fixture
def filled(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        for key, first, last, full, email, deleted in MEMBERS:
            session.add(
                Member(
                    member_key=key, first_name=first, last_name=last, full_name=full, email=email,
                    modification_timestamp=NOW, raw={}, deleted_at=deleted, updated_at=NOW,
                )
            )  # fmt: skip
        for key, name, email in OFFICES:
            session.add(
                Office(
                    office_key=key,
                    name=name,
                    email=email,
                    modification_timestamp=NOW,
                    raw={},
                    updated_at=NOW,
                )
            )
        for key, mls, line, number, street, unit in LISTINGS:
            session.add(
                Listing(
                    listing_key=key, listing_id=mls, unparsed_address=line, street_number=number,
                    street_name=street, unit_number=unit, modification_timestamp=NOW, raw={},
                    first_seen_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
    return sessions


def in_memory() -> InMemoryContactDirectory:
    contacts = [
        Contact(ContactKind.TRESTLE_MEMBER, k, full or f"{first} {last}", (email,))
        for k, first, last, full, email, deleted in MEMBERS
        if deleted is None
    ]
    contacts += [Contact(ContactKind.TRESTLE_OFFICE, k, n, (e,)) for k, n, e in OFFICES]
    return InMemoryContactDirectory(contacts)


ADDRESS_QUERIES = [
    "jane.smith@realty.example", "j.o.s.e.alvarez+x@googlemail.com", "bob+other@outlook.com",
    "bob@outlook.com", "bstone@example.net", "gone@realty.example", "office@wonder.example",
    "ann_100%@realty.example", "annx100x@realty.example", "nobody@example.com",
]  # fmt: skip
NAME_QUERIES = [
    "Jane Smith", "jose alvarez", "Bob Stone", "Gone Agent", "WONDER REALTY INC", "Stone, Bob",
    "Ann O'Neil_x", "Smith Jane",
]  # fmt: skip


def keys_of(answer: dict[str, list[Contact]]) -> dict[str, list[str]]:
    return {k: sorted(c.key for c in v) for k, v in answer.items()}


def test_contacts_answer_like_the_in_memory_directory(filled: sessionmaker[Session]) -> None:
    addresses = {k for a in ADDRESS_QUERIES if (k := address_key(a))}
    names = {k for n in NAME_QUERIES if (k := name_key(n))}
    with filled() as session:
        sql = SqlTrestleContacts(session)
        by_address, by_name = keys_of(sql.by_address(addresses)), keys_of(sql.by_name(names))
    assert by_address == keys_of(in_memory().by_address(addresses))
    assert by_name == keys_of(in_memory().by_name(names))
    assert by_address == {
        "jane.smith@realty.example": ["M1"],
        "josealvarez@gmail.com": ["M2"],
        "bob@outlook.com": ["M3"],
        "bstone@example.net": ["M4"],
        "office@wonder.example": ["O1"],
        "ann_100%@realty.example": ["M6"],  # LIKE wildcards in the address are literal
    }
    assert by_name["bob stone"] == ["M3", "M4"]
    assert by_name["wonder realty inc"] == ["O1"]
    assert "gone agent" not in by_name  # deleted members are nobody's contact


def test_listings_by_mls_number_key_and_street_number(filled: sessionmaker[Session]) -> None:
    with filled() as session:
        sql = SqlListings(session)
        by_id = sql.by_listing_id({"WS2400001", "WS2400003", "WS9"})
        by_key = sql.by_listing_key({"100000002", "nope"})
        numbers = sorted(r.listing_key for r in sql.by_street_number({"45", "9"}))
    assert {k: [r.listing_key for r in v] for k, v in by_id.items()} == {
        "WS2400001": ["100000001"],
        "WS2400003": ["100000003"],  # stored lower-case
    }
    assert list(by_key) == ["100000002"]
    assert numbers == ["100000001", "100000002", "100000004"]  # 9 Pine Rd has no street_number


def test_link_message_over_sql(filled: sessionmaker[Session]) -> None:
    mail = message(
        from_=(Address("Jose Alvarez", "Jose.Alvarez+lead@gmail.com"),),
        to=(Address("Bob Stone", "new@example.org"), Address("Jane Smith", "jane@new.example")),
        text="Is 45 Oak Avenue, Unit 4B open Sunday? Also 12 N Main St and 9 Pine Road.",
    )
    with filled() as session:
        links = link_message(mail, SqlTrestleContacts(session), SqlListings(session))
    assert [(c.contact.key, c.method) for c in links.contacts] == [
        ("M2", LinkMethod.ADDRESS),
        ("M1", LinkMethod.NAME),  # Bob Stone is two members: no link
    ]
    assert sorted(link.listing.listing_key for link in links.listings) == [
        "100000001", "100000003", "100000004",
    ]  # fmt: skip
