"""The contact directory over the Buildium mirror's tenants and owners (both dialects).

Joins the Trestle one through :class:`~wonder.mail.directory.CombinedContactDirectory`; the
narrowing and the normal forms are those of ``wonder.mail.sql_directory``. Soft-deleted
tenants and owners are nobody's contact any more.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from wonder.db.models import BuildiumOwner, BuildiumTenant
from wonder.mail.directory import Contact, ContactKind, InMemoryContactDirectory
from wonder.mail.matching import address_key
from wonder.mail.sql_directory import address_condition


def _person(first: str | None, last: str | None) -> str | None:
    return " ".join(p for p in (first, last) if p) or None


def _tenant(row: BuildiumTenant) -> Contact:
    emails = (row.email,) if row.email else ()
    return Contact(
        ContactKind.BUILDIUM_TENANT, str(row.id), _person(row.first_name, row.last_name), emails
    )


def _owner(row: BuildiumOwner) -> Contact:
    name = row.company_name if row.is_company else _person(row.first_name, row.last_name)
    emails = (row.email,) if row.email else ()
    return Contact(ContactKind.BUILDIUM_OWNER, str(row.id), name or row.company_name, emails)


class SqlBuildiumContacts:
    """:class:`~wonder.mail.directory.ContactDirectory` over ``buildium_tenants`` and
    ``buildium_owners``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._names: InMemoryContactDirectory | None = None

    def _live(self) -> list[Contact]:
        tenants = select(BuildiumTenant).where(BuildiumTenant.deleted_at.is_(None))
        owners = select(BuildiumOwner).where(BuildiumOwner.deleted_at.is_(None))
        return [_tenant(r) for r in self.session.scalars(tenants)] + [
            _owner(r) for r in self.session.scalars(owners)
        ]

    def by_address(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        if not keys:
            return {}
        wanted = set(keys)
        tenants = select(BuildiumTenant).where(
            BuildiumTenant.deleted_at.is_(None), address_condition(BuildiumTenant.email, wanted)
        )
        owners = select(BuildiumOwner).where(
            BuildiumOwner.deleted_at.is_(None), address_condition(BuildiumOwner.email, wanted)
        )
        contacts = [_tenant(r) for r in self.session.scalars(tenants)]
        contacts += [_owner(r) for r in self.session.scalars(owners)]
        found: dict[str, list[Contact]] = {}
        for contact in contacts:
            for email in contact.emails:
                key = address_key(email)
                if key in wanted and contact not in found.setdefault(key, []):
                    found[key].append(contact)
        return found

    def by_name(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        """As the Trestle directory: one read of every live name per directory."""
        if not keys:
            return {}
        if self._names is None:
            self._names = InMemoryContactDirectory(self._live())
        return self._names.by_name(keys)
