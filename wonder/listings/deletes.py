"""Deletes at the source: a key census soft-deletes what is gone, unless the mass-delete guard
holds it for an operator (``wonder listings deletes approve|reject``)."""

from __future__ import annotations

import logging

from wonder.clients.odata import ODataQuery
from wonder.ingest.delete_guard import plan_deletes
from wonder.listings.normalize import record_key
from wonder.listings.ports import PROPERTY, Clock, ListingUnits, ODataSource, Progress
from wonder.listings.report import CensusReport
from wonder.listings.walks import notify, page_count
from wonder.settings import ListingIngestSettings

logger = logging.getLogger("wonder.listings.service")


def run_census(
    client: ODataSource,
    units: ListingUnits,
    settings: ListingIngestSettings,
    report: CensusReport,
    progress: Progress | None,
    clock: Clock,
) -> None:
    """Read the source's whole key set, then delete (or hold) the stored keys it lacks."""
    # Listings we store after this instant may be newer than the key set: never delete those.
    began_at = clock()
    source_keys: set[str] = set()
    expected: int | None = None
    for page in client.pages(
        PROPERTY,
        ODataQuery(
            select=["ListingKey"],
            orderby="ListingKey",
            top=settings.census_page_size,
            count=True,
        ),
    ):
        report.pages += 1
        for record in page.records:
            key = record_key(record, "ListingKey")
            if key is not None:
                source_keys.add(key)
        expected = page_count(page) if expected is None else expected
        notify(progress, PROPERTY, "census", report.pages, len(source_keys), None, expected)
    report.source_keys = len(source_keys)
    with units() as store:
        stored = store.live_listing_keys(seen_before=began_at)
        plan = plan_deletes(
            stored,
            source_keys,
            mass_delete_fraction=settings.mass_delete_fraction,
            mass_delete_min_rows=settings.mass_delete_min_rows,
        )
        report.stored_keys, report.missing, report.held = len(stored), len(plan.missing), plan.held
        if plan.held:
            report.held_delete_id = store.hold_deletes(
                PROPERTY, plan.missing, plan.stored_count, clock()
            )
            logger.warning(
                "census would delete %d of %d listings: held for approval as #%d",
                len(plan.missing),
                plan.stored_count,
                report.held_delete_id,
            )
        else:
            report.deleted = store.soft_delete(plan.deletes, clock())
