"""`wonder listings render`: store the API messages of rows that lack current ones.

Rows written before migration 0008, or under another rendering (a new ``MAPPING_REVISION`` or
listing.proto), are read correctly but slower: mapped from their columns on every read. This
renders them in batches, one transaction each, beside a running ingest: a row the ingest writes
meanwhile keeps the message the ingest stored (``store_listing_messages``' guard).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from wonder.db.uow import unit_of_work
from wonder.listings import repository
from wonder.listings.rendered import listing_message, rendered_media


@dataclass
class RenderReport:
    listings: int = 0
    media: int = 0

    def summary(self) -> str:
        return f"rendered {self.listings} listings and {self.media} photos"


def render_not_current(
    sessions: sessionmaker[Session],
    *,
    batch: int = 1000,
    progress: Callable[[RenderReport], None] | None = None,
) -> RenderReport:
    """Render every listing and photo without a current message; returns what was written."""
    report = RenderReport()

    def listings(session: Session, after: str) -> str | None:
        rows = repository.listings_not_current(session, after, batch)
        report.listings += repository.store_listing_messages(
            session, [(row["listing_key"], row["change_seq"], listing_message(row)) for row in rows]
        )
        return rows[-1]["listing_key"] if rows else None

    def media(session: Session, after: str) -> str | None:
        photos = repository.media_not_current(session, after, batch)
        report.media += repository.store_media_messages(
            session, [(item.media_key, rendered_media(item)) for item in photos]
        )
        return photos[-1].media_key if photos else None

    for step in (listings, media):
        after: str | None = ""
        while after is not None:
            with unit_of_work(sessions) as session:  # one batch a transaction
                after = step(session, after)
            if after is not None and progress is not None:
                progress(report)
    return report
