"""The listing ingest's entry points: Trestle → our tables, one committed page at a time.

- :func:`first_load`: every listing (media expanded), then agents and offices; resumable.
- :func:`incremental`: what changed since the stored cursors, then the media refresh.
- :func:`census`: soft-delete listings gone from the source (mass deletes are held).
- :func:`approve_held_delete` / :func:`reject_held_delete`: an operator's decision on a hold.

Each entry point is a sequence of :class:`Step` (``FIRST_LOAD``, ``INCREMENTAL``, ``CENSUS``):
one resource each (listings, their media, agents, offices), each resumable on its own from the
cursors it keeps, so a caller may run, retry and report them one at a time (the flows run each
as a Prefect task); the functions above run them in order.

Every page is one unit of work: data, history, change feed, quarantine and the cursor commit
together, so a crash at any point loses nothing and a re-run duplicates nothing. How a resource
is walked is in ``walks``, how a page is planned and written in ``page_plan`` / ``page_apply``,
the media refresh in ``media_refresh`` and the census in ``deletes``. ``store`` is a session
factory (the SQL store) or any :data:`~wonder.listings.ports.ListingUnits` (e.g. a fake).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from wonder.ingest.gc_pacing import bulk_collections
from wonder.listings.deletes import run_census
from wonder.listings.media_refresh import refresh_media
from wonder.listings.ports import (
    MEDIA,
    PROPERTY,
    Clock,
    ListingUnits,
    ODataSource,
    Progress,
    utc_now,
)
from wonder.listings.report import CensusReport, IngestReport, MediaRefreshReport, measured
from wonder.listings.store import as_units
from wonder.listings.walks import (
    MEMBERS,
    OFFICES,
    PROPERTIES,
    Resource,
    first_load_walk,
    keyset_walk,
)
from wonder.settings import ListingIngestSettings

Store = sessionmaker[Session] | ListingUnits
Report = IngestReport | MediaRefreshReport | CensusReport
StepRun = Callable[[ODataSource, Store, ListingIngestSettings, Progress | None, Clock], Report]


@dataclass(frozen=True)
class Step:
    """One resource of an entry point: ``run(client, store, settings, progress, clock)``.

    ``long``: it may read the whole source (worth a progress bar); ``analyze``: refresh the
    planner's statistics after it.
    """

    name: str
    run: StepRun
    long: bool = False


def load_listings(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> IngestReport:
    """First load of listings: replication by ListingKey, media expanded. Resumable."""
    report = IngestReport(resource=PROPERTY, mode="first_load")
    with measured(report, client), bulk_collections():
        first_load_walk(client, as_units(store), report, progress, clock)
    return report


def _walker(resource: Resource, mode: str) -> StepRun:
    def walk(
        client: ODataSource,
        store: Store,
        settings: ListingIngestSettings,
        progress: Progress | None = None,
        clock: Clock = utc_now,
    ) -> IngestReport:
        overlap = 0 if mode == "first_load" else settings.overlap_seconds
        report = IngestReport(resource=resource.name, mode=mode)
        with measured(report, client), bulk_collections():
            keyset_walk(client, as_units(store), resource, report, overlap, progress, clock)
        return report

    walk.__name__ = f"walk_{resource.name.lower()}_{mode}"
    return walk


def _media_refresher(mode: str) -> StepRun:
    def refresh(
        client: ODataSource,
        store: Store,
        settings: ListingIngestSettings,
        progress: Progress | None = None,
        clock: Clock = utc_now,
    ) -> MediaRefreshReport:
        report = MediaRefreshReport(resource=MEDIA, mode=mode)
        with measured(report, client):
            refresh_media(client, as_units(store), settings.media_batch_size, report, clock)
        return report

    refresh.__name__ = f"refresh_media_{mode}"
    return refresh


def _census(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> CensusReport:
    report = CensusReport(resource=PROPERTY)
    with measured(report, client):
        run_census(client, as_units(store), settings, report, progress, clock)
    return report


FIRST_LOAD = (
    Step("listings", load_listings, long=True),
    Step("media refresh", _media_refresher("first_load")),
    Step("members", _walker(MEMBERS, "first_load")),
    Step("offices", _walker(OFFICES, "first_load")),
)
INCREMENTAL = (
    Step("listings", _walker(PROPERTIES, "incremental")),
    Step("media refresh", _media_refresher("incremental")),
    Step("members", _walker(MEMBERS, "incremental")),
    Step("offices", _walker(OFFICES, "incremental")),
)
CENSUS = (Step("census", _census, long=True),)


def analyze(store: Store) -> None:
    """Refresh the planner's statistics after a run that rewrote much of the listing tables."""
    with as_units(store)() as unit:
        unit.analyze()


def _run(
    steps: tuple[Step, ...],
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    progress: Progress | None,
    clock: Clock,
) -> list[IngestReport]:
    """Run the steps in order; a media refresh is counted in the listings' report before it."""
    reports: list[IngestReport] = []
    for step in steps:
        report = step.run(client, store, settings, progress, clock)
        if isinstance(report, MediaRefreshReport):
            reports[-1].absorb(report)
        elif isinstance(report, IngestReport):
            reports.append(report)
    return reports


def first_load(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> list[IngestReport]:
    """Replicate every listing (media expanded), then agents and offices. Resumable."""
    reports = _run(FIRST_LOAD, client, store, settings, progress, clock)
    analyze(store)
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
    return _run(INCREMENTAL, client, store, settings, progress, clock)


def census(
    client: ODataSource,
    store: Store,
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> CensusReport:
    """Soft-delete stored listings missing from the source's key set (or hold a mass delete)."""
    report = _census(client, store, settings, progress, clock)
    analyze(store)
    return report


def approve_held_delete(store: Store, held_id: int, *, clock: Clock = utc_now) -> int:
    """Apply a held census delete; returns the listings deleted (NotFound, FailedPrecondition)."""
    with as_units(store)() as unit:
        return unit.apply_held_delete(held_id, clock())


def reject_held_delete(store: Store, held_id: int, *, clock: Clock = utc_now) -> int:
    """Discard a held census delete; returns the number of keys it held (none are deleted)."""
    with as_units(store)() as unit:
        return unit.reject_held_delete(held_id, clock())
