"""The listing ingest's entry points: Trestle → our tables, one committed page at a time.

- :func:`first_load`: every listing (media expanded), then agents and offices; resumable.
- :func:`incremental`: what changed since the stored cursors, then the media refresh.
- :func:`census`: soft-delete listings gone from the source (mass deletes are held).
- :func:`approve_held_delete` / :func:`reject_held_delete`: an operator's decision on a hold.

Every page is one unit of work: data, history, change feed, quarantine and the cursor commit
together, so a crash at any point loses nothing and a re-run duplicates nothing. How a resource
is walked is in ``walks``, how a page is planned and written in ``page_plan`` / ``page_apply``,
the media refresh in ``media_refresh`` and the census in ``deletes``. ``store`` is a session
factory (the SQL store) or any :data:`~wonder.listings.ports.ListingUnits` (e.g. a fake).
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from wonder.listings.deletes import run_census
from wonder.listings.media_refresh import refresh_media
from wonder.listings.ports import (
    PROPERTY,
    Clock,
    ListingUnits,
    ODataSource,
    Progress,
    utc_now,
)
from wonder.listings.report import CensusReport, IngestReport, measured
from wonder.listings.store import as_units
from wonder.listings.walks import MEMBERS, OFFICES, PROPERTIES, first_load_walk, keyset_walk
from wonder.settings import ListingIngestSettings

Store = sessionmaker[Session] | ListingUnits


def first_load(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> list[IngestReport]:
    """Replicate every listing (media expanded), then agents and offices. Resumable."""
    units = as_units(store)
    listings = IngestReport(resource=PROPERTY, mode="first_load")
    with measured(listings, client):
        first_load_walk(client, units, listings, progress, clock)
        refresh_media(client, units, settings.media_batch_size, listings, clock)
    reports = [listings]
    for resource in (MEMBERS, OFFICES):
        report = IngestReport(resource=resource.name, mode="first_load")
        with measured(report, client):
            keyset_walk(client, units, resource, report, 0, progress, clock)
        reports.append(report)
    with units() as unit:
        unit.analyze()
    return reports


def incremental(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> list[IngestReport]:
    """What changed since the stored cursors: listings (+ their media), agents, offices."""
    units = as_units(store)
    reports = []
    for resource in (PROPERTIES, MEMBERS, OFFICES):
        report = IngestReport(resource=resource.name, mode="incremental")
        with measured(report, client):
            keyset_walk(client, units, resource, report, settings.overlap_seconds, progress, clock)
            if resource is PROPERTIES:
                refresh_media(client, units, settings.media_batch_size, report, clock)
        reports.append(report)
    return reports


def census(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> CensusReport:
    """Soft-delete stored listings missing from the source's key set (or hold a mass delete)."""
    units = as_units(store)
    report = CensusReport(resource=PROPERTY)
    with measured(report, client):
        run_census(client, units, settings, report, progress, clock)
        with units() as unit:
            unit.analyze()
    return report


def approve_held_delete(store: Store, held_id: int, *, clock: Clock = utc_now) -> int:
    """Apply a held census delete; returns the listings deleted (NotFound, FailedPrecondition)."""
    with as_units(store)() as unit:
        return unit.apply_held_delete(held_id, clock())


def reject_held_delete(store: Store, held_id: int, *, clock: Clock = utc_now) -> int:
    """Discard a held census delete; returns the number of keys it held (none are deleted)."""
    with as_units(store)() as unit:
        return unit.reject_held_delete(held_id, clock())
