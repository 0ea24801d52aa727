"""The mass-delete guard: stored keys vs the source's key set → what to delete, or hold. Pure.

Sources that do not signal deletes (Trestle, Buildium) are diffed by key set: a record gone from
the full set is gone. A census that would delete a large share of what we hold is far more likely
a partial answer or an outage at the source than a real mass delete, so past the guard nothing is
deleted until a person approves (``wonder.ingest.held_deletes``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class DeletePlan:
    missing: tuple[str, ...]
    stored_count: int
    held: bool

    @property
    def deletes(self) -> tuple[str, ...]:
        """Keys to soft-delete now (none when the plan is held)."""
        return () if self.held else self.missing


def plan_deletes(
    stored_keys: Collection[str],
    source_keys: Collection[str],
    *,
    mass_delete_fraction: float,
    mass_delete_min_rows: int,
) -> DeletePlan:
    """Stored (non-deleted) keys absent from the source; held when past the mass-delete guard.

    Held when the deletes exceed ``mass_delete_fraction`` of the stored rows *and* number more
    than ``mass_delete_min_rows`` (so small databases are not held for every delete).
    """
    source = source_keys if isinstance(source_keys, set | frozenset) else set(source_keys)
    missing = tuple(sorted(key for key in stored_keys if key not in source))
    stored_count = len(stored_keys)
    held = (
        len(missing) > mass_delete_fraction * stored_count and len(missing) > mass_delete_min_rows
    )
    return DeletePlan(missing, stored_count, held)
