"""The one place a page of records is written to the store (inside the caller's unit of work).

Property pages are planned by ``page_plan`` and written here with their change feed, history,
media and quarantine; agents and offices (no media, no history) by :class:`EntityPages`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from wonder.listings.normalize import (
    NormalizedMember,
    NormalizedOffice,
    Rejected,
    normalize_member,
    normalize_office,
)
from wonder.listings.page_plan import PageWrites, PreparedPage, plan_property_page
from wonder.listings.ports import MEMBER, OFFICE, ListingStore
from wonder.listings.rendered import rendered_listing


def write_property_page(store: ListingStore, page: PreparedPage, now: datetime) -> PageWrites:
    """Compare a normalized page with what the store holds and write it."""
    plan = plan_property_page(page, store.load_listing_states(page.accepted), now)
    seqs = store.append_changes(plan.changes, now)
    for row in plan.rows:
        row["change_seq"] = seqs[row["listing_key"]]
        row.update(rendered_listing(row))
    store.upsert_listings(plan.rows)
    if plan.media_for:
        media = [m for ms in plan.media_for.values() for m in ms]
        store.replace_media(list(plan.media_for), media)
        plan.writes.media_refreshed += len(plan.media_for)
    store.set_listing_media_synced(
        {key: (ts, seqs[key]) for key, ts in plan.media_only.items()}, now
    )
    plan.writes.history_rows += store.insert_history(plan.history, now)
    store.quarantine(plan.writes.quarantine, now)
    return plan.writes


class _Versioned(Protocol):
    """A normalized Member or Office: a dataclass whose fields (but the hash) are its columns."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def modification_timestamp(self) -> datetime: ...

    @property
    def content_hash(self) -> str: ...


_V = TypeVar("_V", bound=_Versioned)


@dataclass(frozen=True)
class EntityPages(Generic[_V]):
    """How a page of a plain resource (no media, no history) is normalized, compared, written."""

    resource: str
    normalize: Callable[[object], _V | Rejected]
    key: Callable[[_V], str]

    def write(
        self, store: ListingStore, records: Sequence[dict[str, Any]], now: datetime
    ) -> PageWrites:
        writes = PageWrites()
        accepted: dict[str, _V] = {}
        for raw in records:
            result = self.normalize(raw)
            if isinstance(result, Rejected):
                writes.reject(self.resource, raw, result)
                continue
            key = self.key(result)
            if (
                key not in accepted
                or result.modification_timestamp >= accepted[key].modification_timestamp
            ):
                accepted[key] = result
        stored = store.load_hashes(self.resource, accepted)
        rows = []
        for key, record in accepted.items():
            if _unchanged(stored.get(key), record.modification_timestamp, record.content_hash):
                writes.unchanged += 1
                continue
            if key in stored:
                writes.updated += 1
            else:
                writes.inserted += 1
            columns = {
                name: getattr(record, name)
                for name in record.__dataclass_fields__
                if name != "content_hash"
            }
            rows.append({**columns, "deleted_at": None, "updated_at": now})
        store.upsert_entities(self.resource, rows)
        store.quarantine(writes.quarantine, now)
        return writes


def _unchanged(stored: tuple[datetime, str] | None, incoming_ts: datetime, digest: str) -> bool:
    if stored is None:
        return False
    stored_ts, stored_hash = stored
    return incoming_ts < stored_ts or stored_hash == digest


MEMBER_PAGES = EntityPages[NormalizedMember](MEMBER, normalize_member, lambda m: m.member_key)
OFFICE_PAGES = EntityPages[NormalizedOffice](OFFICE, normalize_office, lambda o: o.office_key)
