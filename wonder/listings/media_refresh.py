"""Media refresh: listings whose PhotosChangeTimestamp moved past the media we hold are re-read
from the Media resource in batches, each batch one unit of work."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from wonder.clients.odata import ODataQuery, quote_string
from wonder.db.models import ChangeKind
from wonder.listings.normalize import NormalizedMedia, Rejected, normalize_media
from wonder.listings.page_plan import PageWrites
from wonder.listings.ports import MEDIA, Clock, ListingUnits, ODataSource
from wonder.listings.report import MediaRefreshReport


def refresh_media(
    client: ODataSource,
    units: ListingUnits,
    batch_size: int,
    report: MediaRefreshReport,
    clock: Clock,
) -> None:
    """Re-read the media of every listing the store says is pending; counts go to ``report``.

    Resumable: a batch commits with the listings' media-synced marks, so a re-run asks the
    store again and reads only what is still pending.
    """
    with units() as store:
        pending = list(store.pending_media())
    report.pending += len(pending)
    still_pending = 0
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        grouped: dict[str, list[NormalizedMedia]] = defaultdict(list)
        writes = PageWrites()
        wanted = {item.listing_key for item in batch}
        for page in client.pages(
            MEDIA,
            ODataQuery(
                filter=" or ".join(
                    f"ResourceRecordKey eq {quote_string(p.listing_key)}" for p in batch
                ),
                orderby="ResourceRecordKey,Order",
            ),
        ):
            report.fetched += len(page.records)
            for raw in page.records:
                result = normalize_media(raw)
                if isinstance(result, Rejected):
                    writes.reject(MEDIA, raw, result)
                elif result.listing_key in wanted:
                    grouped[result.listing_key].append(result)
        replace: dict[str, datetime | None] = {}
        for item in batch:
            if not grouped.get(item.listing_key) and (item.photos_count or 0) > 0:
                still_pending += 1  # the source said there are photos but sent none: ask again
            else:
                replace[item.listing_key] = item.photos_change_timestamp
        now = clock()
        with units() as store:
            if replace:
                seqs = store.append_changes([(k, ChangeKind.UPSERT) for k in replace], now)
                store.replace_media(list(replace), [m for k in replace for m in grouped.get(k, [])])
                store.set_listing_media_synced({k: (ts, seqs[k]) for k, ts in replace.items()}, now)
            store.quarantine(writes.quarantine, now)
        report.refreshed += len(replace)
        report.quarantined += writes.quarantined
    report.refetch_pending += still_pending
