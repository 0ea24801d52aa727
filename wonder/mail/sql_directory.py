"""The directory ports over our listing tables (members, offices, listings), both dialects.

SQL narrows (lower-cased equality, a LIKE on the Gmail and plus forms, the street number) and
Python decides with the same normal forms the in-memory directories use, so both
answer alike. Deleted members and offices (``deleted_at`` set) are nobody's contact any more;
deleted listings still link (mail about a listing outlives the listing). Buildium tenants and
owners get their own ``ContactDirectory`` with the Buildium mirror; pass both to
``CombinedContactDirectory``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from wonder.db.models import Listing, Member, Office
from wonder.mail.directory import Contact, ContactKind, InMemoryContactDirectory, ListingRef
from wonder.mail.matching import address_key, street_address

_CHUNK = 500  # bound parameters per IN list


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def address_condition(column: Any, keys: Collection[str]) -> ColumnElement[bool]:
    """Rows that may hold one of ``keys``: exact, or the Gmail/plus forms of it."""
    lowered = func.lower(column)
    conditions: list[ColumnElement[bool]] = []
    for chunk in _chunks(keys):
        conditions.append(lowered.in_(chunk))
    for key in keys:
        local, _, domain = key.partition("@")
        if domain == "gmail.com":
            # "j.doe+x@gmail.com" without its dots is "jdoe+x@gmailcom".
            undotted = func.replace(lowered, ".", "")
            for host in ("gmailcom", "googlemailcom"):
                conditions.append(undotted == f"{local}@{host}")
                conditions.append(undotted.like(f"{_like_escape(local)}+%@{host}", escape="\\"))
        elif address_key(f"{local}+x@{domain}") == key:  # a plus-addressing provider
            conditions.append(lowered.like(f"{_like_escape(local)}+%@{domain}", escape="\\"))
    return or_(*conditions) if conditions else false()


def _member(row: Member) -> Contact:
    name = row.full_name or " ".join(p for p in (row.first_name, row.last_name) if p) or None
    emails = (row.email,) if row.email else ()
    return Contact(ContactKind.TRESTLE_MEMBER, row.member_key, name, emails)


def _office(row: Office) -> Contact:
    return Contact(
        ContactKind.TRESTLE_OFFICE, row.office_key, row.name, (row.email,) if row.email else ()
    )


class SqlTrestleContacts:
    """:class:`~wonder.mail.directory.ContactDirectory` over ``members`` and ``offices``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._names: InMemoryContactDirectory | None = None

    def by_address(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        if not keys:
            return {}
        wanted = set(keys)
        found: dict[str, list[Contact]] = {}
        members = select(Member).where(
            Member.deleted_at.is_(None), address_condition(Member.email, wanted)
        )
        offices = select(Office).where(
            Office.deleted_at.is_(None), address_condition(Office.email, wanted)
        )
        contacts = [_member(r) for r in self.session.scalars(members)]
        contacts += [_office(r) for r in self.session.scalars(offices)]
        for contact in contacts:
            for email in contact.emails:
                key = address_key(email)
                if key in wanted and contact not in found.setdefault(key, []):
                    found[key].append(contact)
        return found

    def by_name(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        """Names fold accents, order and punctuation, which SQL cannot do portably: the first
        call reads every live member's and office's name once (thousands of short rows) and
        answers from that index; one directory per ingest run keeps it fresh."""
        if not keys:
            return {}
        if self._names is None:
            members = select(Member).where(Member.deleted_at.is_(None))
            offices = select(Office).where(Office.deleted_at.is_(None))
            contacts = [_member(r) for r in self.session.scalars(members)]
            contacts += [_office(r) for r in self.session.scalars(offices)]
            self._names = InMemoryContactDirectory(contacts)
        return self._names.by_name(keys)


def _listing_ref(row: Any) -> ListingRef:
    address = street_address(
        row.unparsed_address, row.street_number, row.street_name, row.unit_number
    )
    return ListingRef(row.listing_key, row.listing_id, address)


_LISTING_COLUMNS = (
    Listing.listing_key,
    Listing.listing_id,
    Listing.unparsed_address,
    Listing.street_number,
    Listing.street_name,
    Listing.unit_number,
)


class SqlListings:
    """:class:`~wonder.mail.directory.ListingDirectory` over ``listings``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_listing_id(self, ids: Collection[str]) -> dict[str, list[ListingRef]]:
        found: dict[str, list[ListingRef]] = {}
        for chunk in _chunks(ids):
            query = select(*_LISTING_COLUMNS).where(func.upper(Listing.listing_id).in_(chunk))
            for row in self.session.execute(query):
                found.setdefault(str(row.listing_id).upper(), []).append(_listing_ref(row))
        return found

    def by_listing_key(self, keys: Collection[str]) -> dict[str, ListingRef]:
        found: dict[str, ListingRef] = {}
        for chunk in _chunks(keys):
            query = select(*_LISTING_COLUMNS).where(Listing.listing_key.in_(chunk))
            for row in self.session.execute(query):
                found[row.listing_key] = _listing_ref(row)
        return found

    def by_street_number(self, numbers: Collection[str]) -> list[ListingRef]:
        refs: dict[str, ListingRef] = {}
        for chunk in _chunks(numbers):
            query = select(*_LISTING_COLUMNS).where(
                or_(
                    func.lower(Listing.street_number).in_(chunk),
                    *(
                        Listing.street_number.is_(None)
                        & Listing.unparsed_address.like(f"{_like_escape(n)} %", escape="\\")
                        for n in chunk
                    ),
                )
            )
            for row in self.session.execute(query):
                ref = _listing_ref(row)
                if ref.address is not None and ref.address.number in numbers:
                    refs[ref.listing_key] = ref
        return list(refs.values())
