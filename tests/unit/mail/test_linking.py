"""Linking against in-memory directories: people by address and unique name, listings by MLS
number, listing key and street address (never a guess between two listings)."""

from __future__ import annotations

import pytest

from tests.unit.mail.factories import message
from wonder.mail.directory import (
    CombinedContactDirectory,
    Contact,
    ContactKind,
    InMemoryContactDirectory,
    InMemoryListingDirectory,
    ListingRef,
)
from wonder.mail.linking import LinkMethod, Role, link_contacts, link_listings
from wonder.mail.matching import (
    StreetAddress,
    address_key,
    find_street_addresses,
    name_key,
    street_address,
)
from wonder.mail.message import Address

JANE = Contact(ContactKind.TRESTLE_MEMBER, "M1", "Jane Smith", ("Jane.Smith@realty.example",))
JOSE = Contact(ContactKind.TRESTLE_MEMBER, "M2", "José Álvarez", ("josealvarez@gmail.com",))
OFFICE = Contact(ContactKind.TRESTLE_OFFICE, "O1", "Wonder Realty", ("office@wonder.example",))
BOB_TENANT = Contact(ContactKind.BUILDIUM_TENANT, "T7", "Bob Stone", ("bob@outlook.com",))
BOB_OWNER = Contact(ContactKind.BUILDIUM_OWNER, "W3", "Bob Stone", ("bstone@example.net",))
PLUS_AT_COMPANY = Contact(
    ContactKind.TRESTLE_MEMBER, "M9", "Sales Desk", ("sales+leads@acme.example",)
)


def listing(key: str, mls: str, line: str) -> ListingRef:
    return ListingRef(key, mls, street_address(line))


OAK_4B = listing("100000001", "WS2400001", "45 Oak Ave #4B, Springfield, IL 62701")
OAK_5C = listing("100000002", "WS2400002", "45 Oak Ave #5C, Springfield, IL 62701")
N_MAIN = listing("100000003", "WS2400003", "12 N Main St, Springfield, IL 62701")
S_MAIN = listing("100000004", "WS2400004", "12 S Main St, Springfield, IL 62701")
ELM = listing("100000005", "WS2400005", "720 Elm Street, Springfield, IL 62701")
ELM_NEIGHBOUR = listing("100000006", "WS2400006", "722 Elm Street, Springfield, IL 62701")
PINE = listing("100000007", "WS2400007", "9 Pine Rd, Springfield, IL 62701")
LISTINGS = InMemoryListingDirectory([OAK_4B, OAK_5C, N_MAIN, S_MAIN, ELM, ELM_NEIGHBOUR, PINE])
CONTACTS = CombinedContactDirectory(
    InMemoryContactDirectory([JANE, JOSE, OFFICE, PLUS_AT_COMPANY]),
    InMemoryContactDirectory([BOB_TENANT, BOB_OWNER]),  # the Buildium side joins like this
)


def contact_links(*mailboxes: Address) -> list[tuple[str, str, LinkMethod, float]]:
    links = link_contacts(message(from_=mailboxes[:1], to=mailboxes[1:]), CONTACTS)
    return [(link.role, link.contact.key, link.method, link.confidence) for link in links]


def listing_links(text: str, signature: str = "") -> list[tuple[str, LinkMethod, str]]:
    links = link_listings(message(text=text, signature=signature), LISTINGS)
    return sorted((link.listing.listing_key, link.method, link.evidence) for link in links)


def test_address_match_is_case_insensitive_and_exact_links_rank_first() -> None:
    assert contact_links(
        Address("", "JANE.SMITH@Realty.Example"), Address("x", "office@wonder.example")
    ) == [
        (Role.FROM, "M1", LinkMethod.ADDRESS, 1.0),
        (Role.TO, "O1", LinkMethod.ADDRESS, 1.0),
    ]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Jose.Alvarez+leads@GMail.com", "josealvarez@gmail.com"),  # Gmail: dots and +tag
        ("j.o.s.e.alvarez@googlemail.com", "josealvarez@gmail.com"),
        ("bob+rent@outlook.com", "bob@outlook.com"),  # plus-addressing provider
        ("b.o.b@outlook.com", "b.o.b@outlook.com"),  # ... but dots count there
        ("sales+leads@acme.example", "sales+leads@acme.example"),  # elsewhere "+" is the box
        ("Sales@ACME.example", "sales@acme.example"),
    ],
)
def test_address_key_provider_rules_apply_only_where_they_hold(written: str, key: str) -> None:
    assert address_key(written) == key


def test_provider_rules_link_with_lower_confidence_and_a_company_plus_does_not_fold() -> None:
    assert contact_links(Address("", "Jose.Alvarez+leads@gmail.com")) == [
        (Role.FROM, "M2", LinkMethod.ADDRESS, 0.95)
    ]
    assert contact_links(Address("", "sales@acme.example")) == []


def test_name_links_only_a_new_address_and_only_when_the_name_is_unique() -> None:
    # New address, unique name (accents, case and "Last, First" folded).
    assert contact_links(Address("SMITH, jane", "jane.home@example.org")) == [
        (Role.FROM, "M1", LinkMethod.NAME, 0.6)
    ]
    assert contact_links(Address("Jose Alvarez", "other@example.org"))[0][1] == "M2"
    # Two contacts are called Bob Stone (a tenant and an owner): no link by name.
    assert contact_links(Address("Bob Stone", "new.bob@example.org")) == []
    # A known address links by address only, whatever the display name says.
    assert contact_links(Address("Jose Alvarez", "jane.smith@realty.example")) == [
        (Role.FROM, "M1", LinkMethod.ADDRESS, 1.0)
    ]
    # One word names nobody uniquely.
    assert name_key("Jane") is None


def test_one_address_of_two_records_links_both() -> None:
    tenant_and_owner = InMemoryContactDirectory(
        [
            BOB_TENANT,
            Contact(ContactKind.BUILDIUM_OWNER, "W4", "Robert Stone", ("bob@outlook.com",)),
        ]
    )
    links = link_contacts(message(from_=(Address("", "bob@outlook.com"),)), tenant_and_owner)
    assert sorted(link.contact.key for link in links) == ["T7", "W4"]


@pytest.mark.parametrize(
    "written",
    ["45 Oak Ave #4B", "45 oak avenue unit 4b", "45 Oak Ave., Apt. 4B", "45 OAK AVE APT #4-B"],
)
def test_unit_spellings_link_the_same_listing(written: str) -> None:
    assert listing_links(f"Is {written} still available?") == [
        ("100000001", LinkMethod.STREET_ADDRESS, "45 oak ave #4b")
    ]


def test_no_link_when_two_listings_fit_the_mention() -> None:
    assert listing_links("Tell me about 45 Oak Ave.") == []  # #4B or #5C?
    assert listing_links("Tell me about 12 Main Street.") == []  # North or South?
    assert listing_links("12 North Main Street please") == [
        ("100000003", LinkMethod.STREET_ADDRESS, "12 n main st")
    ]


def test_same_street_other_number_or_suffix_is_no_link() -> None:
    assert listing_links("I live at 724 Elm Street") == []
    assert listing_links("9 Pine Street, not the road") == []
    assert listing_links("see 720 Elm St and 722 elm st") == [
        ("100000005", LinkMethod.STREET_ADDRESS, "720 elm st"),
        ("100000006", LinkMethod.STREET_ADDRESS, "722 elm st"),
    ]


def test_mls_number_and_listing_key_and_the_best_link_per_listing() -> None:
    assert listing_links("About MLS# ws2400007 and key 100000002") == [
        ("100000002", LinkMethod.LISTING_KEY, "100000002"),
        ("100000007", LinkMethod.MLS_NUMBER, "WS2400007"),
    ]
    # The MLS number and the address name one listing: one link, the surer one.
    links = link_listings(message(text="MLS: WS2400005 at 720 Elm Street"), LISTINGS)
    assert [(link.method, link.confidence) for link in links] == [(LinkMethod.MLS_NUMBER, 1.0)]


def test_mls_number_wins_over_an_ambiguous_address() -> None:
    assert listing_links("45 Oak Ave (MLS WS2400002)") == [
        ("100000002", LinkMethod.MLS_NUMBER, "WS2400002")
    ]


def test_signature_addresses_and_short_numbers_link_nothing() -> None:
    assert listing_links("Call me.", signature="-- \nJane\n720 Elm Street Suite 1") == []
    assert listing_links("Unit 2400001 costs 62701") == []


def test_street_address_parsing() -> None:
    assert find_street_addresses("from 1600 Pennsylvania Ave NW, and 5th Ave") == [
        StreetAddress("1600", "nw", "pennsylvania", "ave", "")
    ]
    assert street_address(None, "12", "North Main Street", "4b") == StreetAddress(
        "12", "n", "main", "st", "4b"
    )
    assert street_address("no street here") is None


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Smith, Jane", "jane smith"),
        ("Wonder Realty, Inc.", "wonder realty inc"),
        ("Bob Stone, Jr.", "bob stone"),
        ("Dr. José  ÁLVAREZ", "jose alvarez"),
        ("Sales", None),
    ],
)
def test_name_key(written: str, key: str | None) -> None:
    assert name_key(written) == key


def test_a_parsed_fixture_links_its_gmail_sender_and_the_unit_it_names() -> None:
    from pathlib import Path

    from wonder.mail.linking import link_message
    from wonder.mail.parse import parse_message

    raw = (Path(__file__).parent / "messages" / "encoded_words.eml").read_bytes()
    main_4b = listing("100000010", "WS2400010", "12 North Main Street Unit 4B, Springfield")
    main_4c = listing("100000011", "WS2400011", "12 North Main Street Unit 4C, Springfield")
    links = link_message(parse_message(raw), CONTACTS, InMemoryListingDirectory([main_4b, main_4c]))
    assert [(c.role, c.contact.key, c.method) for c in links.contacts] == [
        (Role.FROM, "M2", LinkMethod.ADDRESS),  # Jose.Alvarez+leads@GMail.com
        (Role.TO, "M1", LinkMethod.NAME),  # "Smith, Jane" at an address nobody has
    ]
    assert [(x.listing.listing_key, x.method, x.evidence) for x in links.listings] == [
        ("100000010", LinkMethod.STREET_ADDRESS, "12 n main st #4b")
    ]
