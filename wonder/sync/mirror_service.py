"""The Buildium mirror's entry point: Buildium → our tables, one committed page at a time.

:func:`sync` walks GL accounts, then rentals, units, owners, tenants and leases with
``lastupdatedfrom`` (from the stored watermark minus the overlap; everything on a first load or
when ``full``), then re-reads the ledger of every lease marked pending. Each page is one unit of
work with its cursor, so a crash resumes at the last committed page; a lease written in a page is
marked pending in that same transaction, so a crash before its ledger is read loses nothing.
Rentals, units, owners and tenants carry no timestamp: the watermark is the request clock of a
walk's first page (``SourcePage.requested_at``), for every resource alike. A full walk read from
its first page is an ID-set census: stored records it lacks are deleted, or held past the
mass-delete guard (``wonder.ingest.delete_guard``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from wonder.ingest.delete_guard import plan_deletes
from wonder.ingest.quarantine import QuarantineEntry
from wonder.ingest.runs import RunRecord
from wonder.settings import BuildiumSyncSettings
from wonder.sync import records as rec
from wonder.sync.mirror_plan import next_window, plan_ledger, plan_page, walk_state
from wonder.sync.ports import (
    PAGED,
    BuildiumSource,
    Clock,
    MirrorStore,
    MirrorUnits,
    Resource,
    utc_now,
)

logger = logging.getLogger("wonder.sync.mirror")
# The pipeline name of the mirror's runs in ``sync_runs``.
PIPELINE = "buildium:mirror"
LEDGER_CHANGES = "buildium:ledger_changes"

PARSERS: dict[Resource, Callable[[Mapping[str, Any]], rec.Record]] = {
    Resource.RENTALS: rec.parse_rental,
    Resource.UNITS: rec.parse_unit,
    Resource.OWNERS: rec.parse_owner,
    Resource.TENANTS: rec.parse_tenant,
    Resource.LEASES: rec.parse_lease,
}


@dataclass
class ResourceReport:
    resource: str
    pages: int = 0
    fetched: int = 0
    written: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deleted: int = 0
    held_delete_id: int | None = None
    # "done", "not run" (incremental), or why a full walk could not census.
    census: str = "not run"


@dataclass
class MirrorReport:
    resources: dict[str, ResourceReport] = field(default_factory=dict)
    ledgers_read: int = 0
    ledger_transactions_written: int = 0
    ledger_transactions_deleted: int = 0
    # Leases whose ledger changed since the last run (by their GL transactions).
    ledgers_changed: int = 0
    requests: int = 0

    def of(self, resource: Resource) -> ResourceReport:
        return self.resources.setdefault(resource.value, ResourceReport(resource.value))


def sync(
    source: BuildiumSource,
    units: MirrorUnits,
    settings: BuildiumSyncSettings,
    *,
    full: bool = False,
    reread_ledgers: bool = False,
    clock: Clock = utc_now,
) -> MirrorReport:
    """One sync run (first load when nothing is stored); ``reread_ledgers`` marks every live
    lease's ledger for a re-read (the nightly check)."""
    report = MirrorReport()
    before = source.requests_made
    sync_gl_accounts(source, units, settings, report, clock)
    for resource in PAGED:
        walk(source, units, resource, settings, report, full=full, clock=clock)
    find_changed_ledgers(source, units, settings, report, clock)
    if reread_ledgers:
        with units() as store:
            store.mark_ledgers_pending(store.live_ids(Resource.LEASES))
    refresh_ledgers(source, units, report, batch_size=settings.ledger_batch_size, clock=clock)
    report.requests = source.requests_made - before
    return report


def sync_gl_accounts(
    source: BuildiumSource,
    units: MirrorUnits,
    settings: BuildiumSyncSettings,
    report: MirrorReport,
    clock: Clock,
) -> None:
    """The chart of accounts, whole every time (it is small): upsert, then census."""
    resource, stats = Resource.GL_ACCOUNTS, report.of(Resource.GL_ACCOUNTS)
    raws = source.gl_accounts()
    groups, rejected = rec.parse_all(resource.label, raws, rec.parse_gl_accounts)
    accounts = [account for group in groups for account in group]
    stats.pages, stats.fetched = 1, len(raws)
    started = clock()
    with units() as store:
        plan = plan_page(accounts, store.load_states(resource, (a.id for a in accounts)))
        store.write_records(resource, plan.writes, clock())
        store.quarantine(rejected, clock())
        seen = {a.id for a in accounts} | _quarantined_ids(rejected)
        _census(store, resource, seen, settings, stats, clock)
        counts = _counts(1, len(raws), len(plan.writes), plan.unchanged, len(rejected))
        store.record_run(RunRecord(PIPELINE, resource.label, started, clock(), counts))
    stats.written, stats.unchanged, stats.quarantined = (
        len(plan.writes),
        plan.unchanged,
        len(rejected),
    )


def walk(
    source: BuildiumSource,
    units: MirrorUnits,
    resource: Resource,
    settings: BuildiumSyncSettings,
    report: MirrorReport,
    *,
    full: bool = False,
    clock: Clock = utc_now,
) -> None:
    """Page through ``resource`` from its cursor; each page commits with the cursor past it."""
    stats, name = report.of(resource), resource.label
    with units() as store:
        cursor = store.get_cursor(name)
    watermark = cursor.modification_timestamp if cursor else None
    window = next_window(
        watermark, (cursor.state.get("walk") if cursor else None), settings.overlap_seconds, full
    )
    census = window.full and window.offset == 0
    if (full or window.full) and not census:
        stats.census = "skipped: resumed an interrupted walk (the next full run does it)"
    seen: set[int] = set()
    started = clock()
    while True:
        page = source.list_page(
            resource,
            offset=window.offset,
            limit=settings.page_size,
            updated_from=window.updated_from,
        )
        window = replace(window, started_at=window.started_at or page.requested_at)
        parsed, rejected = rec.parse_all(name, page.records, PARSERS[resource])
        seen |= {r.id for r in parsed} | _quarantined_ids(rejected)
        offset = window.offset + len(page.records)
        done = len(page.records) < settings.page_size or (
            page.total_count is not None and offset >= page.total_count
        )
        with units() as store:
            plan = plan_page(parsed, store.load_states(resource, (r.id for r in parsed)))
            store.write_records(resource, plan.writes, clock())
            store.quarantine(rejected, clock())
            window = replace(window, offset=offset)
            store.save_cursor(
                name,
                modification_timestamp=window.started_at if done else watermark,
                last_key=None,
                state={} if done else walk_state(window),
                now=clock(),
            )
            if done and census:
                _census(store, resource, seen, settings, stats, clock)
            if done:
                counts = _counts(
                    stats.pages + 1,
                    stats.fetched + len(page.records),
                    stats.written + len(plan.writes),
                    stats.unchanged + plan.unchanged,
                    stats.quarantined + len(rejected),
                )
                store.record_run(RunRecord(PIPELINE, name, started, clock(), counts))
        stats.pages += 1
        stats.fetched += len(page.records)
        stats.written += len(plan.writes)
        stats.unchanged += plan.unchanged
        stats.quarantined += len(rejected)
        if done:
            return


def find_changed_ledgers(
    source: BuildiumSource,
    units: MirrorUnits,
    settings: BuildiumSyncSettings,
    report: MirrorReport,
    clock: Clock,
) -> None:
    """Mark pending the ledgers that gained or changed a transaction since the last run (a lease
    ledger has no last-updated filter; its GL transactions do). The first run asks nothing: every
    lease it wrote is pending already, and the leases walk's watermark starts this cursor."""
    with units() as store:
        cursor = store.get_cursor(LEDGER_CHANGES)
        leases = store.get_cursor(Resource.LEASES.label)
    if cursor is None or cursor.modification_timestamp is None:
        start = leases.modification_timestamp if leases else None
        if start is not None:
            with units() as store:
                store.save_cursor(
                    LEDGER_CHANGES, modification_timestamp=start, last_key=None, now=clock()
                )
        return
    since = cursor.modification_timestamp - timedelta(seconds=settings.overlap_seconds)
    page = source.changed_ledgers(since)
    changed = [int(i) for i in page.records]
    with units() as store:
        store.mark_ledgers_pending(changed)
        store.save_cursor(
            LEDGER_CHANGES, modification_timestamp=page.requested_at, last_key=None, now=clock()
        )
    report.ledgers_changed = len(changed)


def refresh_ledgers(
    source: BuildiumSource,
    units: MirrorUnits,
    report: MirrorReport,
    *,
    lease_ids: Sequence[int] = (),
    batch_size: int = 25,
    clock: Clock = utc_now,
) -> None:
    """Re-read the whole ledger of every pending lease (plus ``lease_ids``), ``batch_size``
    leases per unit of work: changed transactions written, voided ones deleted, each lease no
    longer pending in the transaction that stored its ledger."""
    resource = Resource.LEASE_TRANSACTIONS
    with units() as store:
        if lease_ids:
            store.mark_ledgers_pending(lease_ids)
        pending = store.pending_ledgers()
    started, fetched, written = clock(), 0, 0
    for start in range(0, len(pending), batch_size):
        read = [
            (lease_id, _parse_ledger(lease_id, source.lease_transactions(lease_id)))
            for lease_id in pending[start : start + batch_size]
        ]
        with units() as store:
            for lease_id, (parsed, rejected) in read:
                plan = plan_ledger(
                    parsed, store.load_ledger_states(lease_id), keep=_quarantined_ids(rejected)
                )
                store.write_ledger(lease_id, plan.writes, plan.deletes, clock())
                store.quarantine(rejected, clock())
                report.ledger_transactions_written += len(plan.writes)
                report.ledger_transactions_deleted += len(plan.deletes)
                report.of(resource).quarantined += len(rejected)
                fetched += len(parsed) + len(rejected)
                written += len(plan.writes)
            if start + batch_size >= len(pending):
                counts = {"ledgers": len(pending), "fetched": fetched, "written": written}
                store.record_run(RunRecord(PIPELINE, resource.label, started, clock(), counts))
        report.ledgers_read += len(read)


def _counts(
    pages: int, fetched: int, written: int, unchanged: int, quarantined: int
) -> dict[str, int]:
    return {
        "pages": pages,
        "fetched": fetched,
        "written": written,
        "unchanged": unchanged,
        "quarantined": quarantined,
    }


def _parse_ledger(
    lease_id: int, raws: Sequence[Any]
) -> tuple[list[rec.LeaseTransaction], list[QuarantineEntry]]:
    def parse(raw: Mapping[str, Any]) -> rec.LeaseTransaction:
        return rec.parse_lease_transaction(raw, lease_id)

    return rec.parse_all(Resource.LEASE_TRANSACTIONS.label, raws, parse)


def lease_of_transaction(source: BuildiumSource, transaction_id: int) -> int | None:
    """The lease of a ``LeaseTransaction.*`` webhook (which names no lease), via its GL
    transaction's ``UnitAgreement``; None when it is not a lease's."""
    raw = source.gl_transaction(transaction_id)
    return None if raw is None else rec.lease_of_gl_transaction(raw)


def _quarantined_ids(entries: Sequence[QuarantineEntry]) -> set[int]:
    """Ids of records read but quarantined: present at the source, so never deleted for it."""
    return {int(e.record_key) for e in entries if e.record_key and e.record_key.isdigit()}


def _census(
    store: MirrorStore,
    resource: Resource,
    seen: set[int],
    settings: BuildiumSyncSettings,
    stats: ResourceReport,
    clock: Clock,
) -> None:
    stored = store.live_ids(resource)
    plan = plan_deletes(
        [str(i) for i in stored],
        {str(i) for i in seen},
        mass_delete_fraction=settings.mass_delete_fraction,
        mass_delete_min_rows=settings.mass_delete_min_rows,
    )
    stats.census = "done"
    if plan.held:
        stats.held_delete_id = store.hold_deletes(
            resource.label, plan.missing, plan.stored_count, clock()
        )
        logger.warning(
            "%s: a full read would delete %d of %d records: held for approval as #%d",
            resource.label,
            len(plan.missing),
            plan.stored_count,
            stats.held_delete_id,
        )
    else:
        stats.deleted += store.soft_delete(resource, [int(k) for k in plan.deletes], clock())
