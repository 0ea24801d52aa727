"""What the demo ingested, straight from the database, each count named for what it counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from wonder.db.engine import make_engine, session_factory
from wonder.db.enums import InboxStatus
from wonder.db.models import (
    BalanceSheetRow,
    BuildiumLease,
    BuildiumLeaseTransaction,
    HeldDelete,
    Listing,
    ListingHistory,
    ListingMedia,
    MailFetchQueue,
    MailMessage,
    Member,
    Office,
    QuarantinedRecord,
    ReconciliationRun,
    WebhookInboxEvent,
)
from wonder.listings.normalize import TransactionType, transaction_type

_KIND_LABELS = {
    TransactionType.SALE: "for sale (list_price: asking price)",
    TransactionType.LEASE: "for lease (list_price: monthly rent)",
    None: "property type unknown",
}


@dataclass(frozen=True)
class DatabaseSummary:
    counts: dict[str, int]
    statuses: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    sample: list[str] = field(default_factory=list)
    first_key: str | None = None
    reconciliation: str | None = None

    def lines(self) -> list[str]:
        """The summary as the demo prints it."""
        out = [f"{label:<48} {count}" for label, count in self.counts.items()]
        if self.statuses:
            by_status = ", ".join(f"{status} {n}" for status, n in self.statuses.items())
            out.append(f"  not deleted, by standard_status: {by_status}")
        if self.kinds:
            by_kind = ", ".join(f"{kind} {n}" for kind, n in self.kinds.items())
            out.append(f"  not deleted, by transaction_type: {by_kind}")
        if self.reconciliation:
            out.append(self.reconciliation)
        if self.sample:
            out.append("a few listings:")
            out.extend(f"  {line}" for line in self.sample)
        return out


def _sample_line(
    key: str, status: str | None, kind: str | None, price: Decimal | None, place: str
) -> str:
    lease = transaction_type(kind) is TransactionType.LEASE
    money = f"${price or 0:,.0f}" + ("/month" if lease else "")
    return f"{key}  {status or '?'}  {money}  {place}"


def database_summary(database_url: str, *, sample_size: int = 3) -> DatabaseSummary:
    engine = make_engine(database_url)
    live = Listing.deleted_at.is_(None)
    try:
        with session_factory(engine)() as session:

            def count(*criteria: object, model: type = Listing) -> int:
                query = select(func.count()).select_from(model)
                for criterion in criteria:
                    query = query.where(criterion)  # type: ignore[arg-type]
                return int(session.scalar(query) or 0)

            counts = {
                "listings not deleted (any standard_status)": count(live),
                "listings deleted at the MLS (kept, delete_time)": count(
                    Listing.deleted_at.is_not(None)
                ),
                "media items (photos)": count(model=ListingMedia),
                "agents (RESO Member)": count(model=Member),
                "offices": count(model=Office),
                "price/status history entries": count(model=ListingHistory),
                "quarantined records (failed validation)": count(model=QuarantinedRecord),
                "mass deletes held for approval": count(model=HeldDelete),
                "mail messages (raw MIME kept), all mailboxes": count(model=MailMessage),
                "mail still to fetch (fetch queue)": count(model=MailFetchQueue),
                "Buildium leases mirrored (not deleted)": count(
                    BuildiumLease.deleted_at.is_(None), model=BuildiumLease
                ),
                "Buildium ledger entries (charges, payments, credits)": count(
                    BuildiumLeaseTransaction.deleted_at.is_(None), model=BuildiumLeaseTransaction
                ),
                "PM Balance Sheet rows (per lease, unit, property)": count(model=BalanceSheetRow),
                "webhooks received (Buildium + Gmail push)": count(model=WebhookInboxEvent),
                "webhooks processed": count(
                    WebhookInboxEvent.status == InboxStatus.DONE, model=WebhookInboxEvent
                ),
                "webhooks dead-lettered (wonder webhooks dead-letters list)": count(
                    WebhookInboxEvent.status == InboxStatus.DEAD, model=WebhookInboxEvent
                ),
            }
            latest = session.scalars(
                select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(1)
            ).first()
            reconciliation = (
                None
                if latest is None
                else f"last reconciliation with Buildium: {latest.leases_compared} leases, "
                + ("all to the cent" if latest.matched else f"{latest.mismatches} differ")
            )
            statuses = session.execute(
                select(Listing.standard_status, func.count())
                .where(live)
                .group_by(Listing.standard_status)
                .order_by(func.count().desc(), Listing.standard_status)
            ).all()
            kinds: Counter[str] = Counter()
            for property_type, n in session.execute(
                select(Listing.property_type, func.count())
                .where(live)
                .group_by(Listing.property_type)
            ):
                kinds[_KIND_LABELS[transaction_type(property_type)]] += int(n)
            rows = session.execute(
                select(
                    Listing.listing_key,
                    Listing.standard_status,
                    Listing.property_type,
                    Listing.list_price,
                    Listing.city,
                    Listing.unparsed_address,
                )
                .where(live)
                .order_by(Listing.listing_key)
                .limit(sample_size)
            ).all()
    finally:
        engine.dispose()
    sample = [
        _sample_line(key, status, kind, price, address or city or "")
        for key, status, kind, price, city, address in rows
    ]
    return DatabaseSummary(
        counts,
        {status or "(none)": int(n) for status, n in statuses},
        {label: kinds[label] for label in _KIND_LABELS.values() if kinds[label]},
        sample,
        rows[0][0] if rows else None,
        reconciliation,
    )
