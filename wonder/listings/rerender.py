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
from wonder.listings.rendered import rendered_listing, rendered_media


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
    after = ""
    while True:
        with unit_of_work(sessions) as session:
            rows = repository.listings_not_current(session, after, batch)
            if not rows:
                break
            report.listings += repository.store_listing_messages(
                session, [{**row, **rendered_listing(row)} for row in rows]
            )
        after = rows[-1]["listing_key"]
        if progress is not None:
            progress(report)
    after = ""
    while True:
        with unit_of_work(sessions) as session:
            media = repository.media_not_current(session, after, batch)
            if not media:
                break
            report.media += repository.store_media_messages(
                session, [(item.media_key, rendered_media(item)) for item in media]
            )
        after = media[-1].media_key
        if progress is not None:
            progress(report)
    return report
