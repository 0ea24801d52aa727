"""Mutable sandbox state: a compact per-listing state in parallel arrays, a sorted index by
(ModificationTimestamp, index), and ``advance`` that moves time and changes data (seeded).
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from wonder.sandbox.clock import MICROS, SandboxClock
from wonder.sandbox.trestle.data import (
    CORRUPTIONS,
    DAY,
    ListingState,
    Roster,
    build_roster,
    initial_listing,
    listing_key,
)
from wonder.sandbox.trestle.schema import format_timestamp
from wonder.sandbox.trestle.vocabulary import NEXT_STATUS, PROPERTY_TYPES

REBUILD_THRESHOLD = 2_000  # above this many changes, re-sort the index instead of bisecting


@dataclass
class AdvanceResult:
    """Listing keys touched, per kind of change."""

    now: str = ""
    price_changes: list[str] = field(default_factory=list)
    status_changes: list[str] = field(default_factory=list)
    media_changes: list[str] = field(default_factory=list)
    new_listings: list[str] = field(default_factory=list)
    removed_listings: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    marked_deleted: list[str] = field(default_factory=list)
    bad_records: list[str] = field(default_factory=list)
    remapped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class ListingStore:
    """All listings of one sandbox. Reads and writes hold ``lock``."""

    def __init__(self, seed: int, listings: int, clock: SandboxClock) -> None:
        self.seed = seed
        self.clock = clock
        self.lock = threading.RLock()
        now = clock.now_micros()
        # Initial data depends on the seed and the day, not on the exact start instant.
        self.anchor = now - now % DAY
        self.remap_ts = self.anchor - 3 * DAY
        self.roster: Roster = build_roster(seed, max(listings, 1), self.anchor)
        self._rng = random.Random(seed)
        self.type_index: list[int] = []
        self.status: list[str] = []
        self.price: list[int] = []
        self.original_price: list[int] = []
        self.entry_ts: list[int] = []
        self.modified_ts: list[int] = []
        self.status_ts: list[int] = []
        self.price_ts: list[int] = []
        self.photos_ts: list[int] = []
        self.photos_count: list[int] = []
        self.media_version: list[int] = []
        self.version: list[int] = []
        self.bad: list[int] = []
        self.gone: list[bool] = []
        self._index: list[tuple[int, int]] = []  # (ModificationTimestamp, listing index), sorted
        # Every corrupted version a reader could see after an advance: (index, bad, timestamp).
        self.corruptions: list[tuple[int, int, int]] = []
        self.live = 0
        generation = random.Random(seed * 2_147_483_647 + 5)
        for _ in range(listings):
            self._append(generation, self.anchor)
        self._index.sort()

    # ------------------------------------------------------------ basics

    def _append(self, rng: random.Random, anchor: int) -> int:
        first = initial_listing(rng, anchor, self.remap_ts)
        index = len(self.status)
        self.type_index.append(first.type_index)
        self.status.append(first.status)
        self.price.append(first.price)
        self.original_price.append(first.price)
        self.entry_ts.append(first.entry_ts)
        self.modified_ts.append(first.modified_ts)
        self.status_ts.append(first.modified_ts if first.status != "Active" else first.entry_ts)
        self.price_ts.append(first.entry_ts)
        self.photos_ts.append(first.entry_ts + 3_600 * MICROS)
        self.photos_count.append(first.photos_count)
        self.media_version.append(1)
        self.version.append(1)
        self.bad.append(0)
        self.gone.append(False)
        self._index.append((first.modified_ts, index))
        self.live += 1
        return index

    @property
    def size(self) -> int:
        return len(self.status)

    def exists(self, index: int) -> bool:
        return 0 <= index < len(self.gone) and not self.gone[index]

    def state(self, index: int) -> ListingState:
        return ListingState(
            index=index,
            type_index=self.type_index[index],
            status=self.status[index],
            price=self.price[index],
            original_price=self.original_price[index],
            entry_ts=self.entry_ts[index],
            modified_ts=self.modified_ts[index],
            status_ts=self.status_ts[index],
            price_ts=self.price_ts[index],
            photos_ts=self.photos_ts[index],
            photos_count=self.photos_count[index],
            media_version=self.media_version[index],
            version=self.version[index],
            bad=self.bad[index],
        )

    def key_field(self, index: int, name: str) -> object:
        """Key-index fields straight from the state (no record generation)."""
        if name == "ListingKey":
            return listing_key(index)
        if name == "ModificationTimestamp":
            return self.modified_ts[index]
        if name == "StandardStatus":
            return self.status[index]
        if name == "PhotosCount":
            return self.photos_count[index]
        if name == "PhotosChangeTimestamp":
            return self.photos_ts[index]
        if name == "ListingId":
            return f"WS{2_400_000 + index}"
        raise KeyError(name)

    # ------------------------------------------------------------ iteration

    def indexes_by_key(self, after: int = -1) -> Iterator[int]:
        """Live listings in ListingKey order (= index order), strictly after ``after``."""
        gone = self.gone
        for index in range(max(after + 1, 0), len(gone)):
            if not gone[index]:
                yield index

    def indexes_by_timestamp(self, lowest: int | None = None) -> Iterator[int]:
        """Live listings in (ModificationTimestamp, ListingKey) order from ``lowest`` on."""
        start = 0 if lowest is None else bisect.bisect_left(self._index, (lowest, -1))
        entries = self._index
        for position in range(start, len(entries)):
            yield entries[position][1]

    def _live(self) -> list[int]:
        return [i for i in range(len(self.gone)) if not self.gone[i]]

    def timestamp_order_ok(self) -> bool:
        return all(a <= b for a, b in zip(self._index, self._index[1:], strict=False))

    # ------------------------------------------------------------ mutation

    def _touch(self, index: int, stamp: int, pending: list[tuple[int, int | None, int]]) -> None:
        pending.append((index, self.modified_ts[index], stamp))
        self.modified_ts[index] = stamp
        self.version[index] += 1
        self.bad[index] = 0

    def _reindex(self, pending: list[tuple[int, int | None, int]]) -> None:
        if len(pending) > REBUILD_THRESHOLD:
            self._index = sorted(
                (self.modified_ts[i], i) for i in range(len(self.gone)) if not self.gone[i]
            )
            return
        for index, old, new in pending:
            if old is not None:
                position = bisect.bisect_left(self._index, (old, index))
                if position < len(self._index) and self._index[position] == (old, index):
                    del self._index[position]
            if not self.gone[index]:
                bisect.insort(self._index, (new, index))

    def advance(
        self,
        seconds: float = 0.0,
        price_changes: int = 0,
        status_changes: int = 0,
        media_changes: int = 0,
        new_listings: int = 0,
        removed_listings: int = 0,
        bad_records: int = 0,
        same_timestamp: bool = False,
        deleted_listings: int = 0,
        vanished_listings: int = 0,
        remapped: int = 0,
    ) -> AdvanceResult:
        """Move the clock by ``seconds`` and apply changes stamped inside that interval.

        The kinds are applied in the order of the parameters (so a listing can change twice);
        ``remapped`` last, over every listing still there. Kinds left at 0 draw nothing from the
        generator, so adding a kind never changes what the others pick.
        """
        with self.lock:
            before = self.clock.now_micros()
            after = self.clock.advance(max(seconds, 0.0))
            rng = self._rng
            span = max(after - before, 1)

            def stamp() -> int:
                if same_timestamp:
                    return after - after % 1_000
                moment = before + 1 + int(rng.random() * span)
                return min(moment - moment % 1_000, after)

            result = AdvanceResult()
            pending: list[tuple[int, int | None, int]] = []
            live = [i for i in range(len(self.gone)) if not self.gone[i]]

            def pick(count: int, allowed: list[int]) -> list[int]:
                return sorted(rng.sample(allowed, min(count, len(allowed))))

            for index in pick(price_changes, [i for i in live if self.status[i] != "Delete"]):
                moment = stamp()
                profile = PROPERTY_TYPES[self.type_index[index]]
                factor = rng.choice((0.95, 0.97, 0.98, 0.99, 1.02, 1.03))
                new_price = (
                    int(self.price[index] * factor) // profile.price_step * profile.price_step
                )
                self.price[index] = max(new_price, profile.price_step)
                self.price_ts[index] = moment
                self._touch(index, moment, pending)
                result.price_changes.append(listing_key(index))
            movable = [i for i in live if self.status[i] not in ("Closed", "Delete")]
            for index in pick(status_changes, movable):
                moment = stamp()
                choices = NEXT_STATUS.get(self.status[index], ("Active",))
                self.status[index] = choices[0] if rng.random() < 0.6 else rng.choice(choices)
                self.status_ts[index] = moment
                self._touch(index, moment, pending)
                result.status_changes.append(listing_key(index))
            for index in pick(media_changes, [i for i in live if self.status[i] != "Delete"]):
                moment = stamp()
                self.media_version[index] += 1
                delta = rng.choice((-2, -1, 1, 2, 3))
                self.photos_count[index] = min(25, max(1, self.photos_count[index] + delta))
                self.photos_ts[index] = moment
                self._touch(index, moment, pending)
                result.media_changes.append(listing_key(index))
            corrupted = pick(bad_records, [i for i in live if self.status[i] != "Delete"])
            for index in corrupted:
                moment = stamp()
                self._touch(index, moment, pending)
                self.bad[index] = 1 + len(result.bad_records) % len(CORRUPTIONS)
                result.bad_records.append(listing_key(index))

            def vanish(index: int) -> None:
                """Gone from the key set without a trace (found only by a census)."""
                self.gone[index] = True
                self.live -= 1
                pending.append((index, self.modified_ts[index], self.modified_ts[index]))
                result.removed_listings.append(listing_key(index))
                result.vanished.append(listing_key(index))

            def mark_deleted(index: int) -> None:
                moment = stamp()
                self.status[index] = "Delete"
                self.status_ts[index] = moment
                self._touch(index, moment, pending)
                result.removed_listings.append(listing_key(index))
                result.marked_deleted.append(listing_key(index))

            removable = [i for i in live if self.status[i] != "Delete"]
            for index in pick(removed_listings, removable):
                if rng.random() < 0.5:
                    vanish(index)
                else:
                    mark_deleted(index)
            for _ in range(max(new_listings, 0)):
                moment = stamp()
                index = self._append(rng, after)
                self._index.pop()  # _append indexed the initial stamp; restamp below
                self.entry_ts[index] = moment - moment % MICROS
                self.status[index] = "Active"
                self.status_ts[index] = moment
                self.price_ts[index] = moment
                self.photos_ts[index] = moment
                self.modified_ts[index] = moment
                pending.append((index, None, moment))
                result.new_listings.append(listing_key(index))
            if deleted_listings:
                candidates = [i for i in self._live() if self.status[i] != "Delete"]
                for index in pick(deleted_listings, candidates):
                    mark_deleted(index)
            if vanished_listings:
                for index in pick(vanished_listings, self._live()):
                    vanish(index)
            moved: list[int] = []
            if remapped:
                moved = pick(remapped, self._live())
                for index in moved:
                    # Only the timestamp moves: same version, same data otherwise.
                    moment = stamp()
                    pending.append((index, self.modified_ts[index], moment))
                    self.modified_ts[index] = moment
                    result.remapped.append(listing_key(index))
            # What a reader sees once this advance is over: a corruption a later kind of change
            # undid was never served; a remap of a corrupted listing serves a new bad version.
            for index in sorted({*corrupted, *moved}):
                if self.bad[index] and not self.gone[index]:
                    self.corruptions.append((index, self.bad[index], self.modified_ts[index]))
            self._reindex(pending)
            result.now = format_timestamp(after)
            return result
