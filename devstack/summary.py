"""What the demo ingested: row counts and a few listings, straight from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from wonder.db.engine import make_engine, session_factory
from wonder.db.models import (
    HeldDelete,
    Listing,
    ListingHistory,
    ListingMedia,
    Member,
    Office,
    QuarantinedRecord,
)


@dataclass(frozen=True)
class DatabaseSummary:
    counts: dict[str, int]
    sample: list[str] = field(default_factory=list)
    first_key: str | None = None


def database_summary(database_url: str, *, sample_size: int = 3) -> DatabaseSummary:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:

            def count(*criteria: object, model: type = Listing) -> int:
                query = select(func.count()).select_from(model)
                for criterion in criteria:
                    query = query.where(criterion)  # type: ignore[arg-type]
                return int(session.scalar(query) or 0)

            counts = {
                "listings (active)": count(Listing.deleted_at.is_(None)),
                "listings (deleted)": count(Listing.deleted_at.is_not(None)),
                "media": count(model=ListingMedia),
                "agents (members)": count(model=Member),
                "offices": count(model=Office),
                "price/status history": count(model=ListingHistory),
                "quarantined records": count(model=QuarantinedRecord),
                "held mass deletes": count(model=HeldDelete),
            }
            rows = session.execute(
                select(
                    Listing.listing_key,
                    Listing.standard_status,
                    Listing.list_price,
                    Listing.city,
                    Listing.unparsed_address,
                )
                .where(Listing.deleted_at.is_(None))
                .order_by(Listing.listing_key)
                .limit(sample_size)
            ).all()
    finally:
        engine.dispose()
    sample = [
        f"{key}  {status or '?'}  ${price or 0:,.0f}  {address or city or ''}"
        for key, status, price, city, address in rows
    ]
    return DatabaseSummary(counts, sample, rows[0][0] if rows else None)
