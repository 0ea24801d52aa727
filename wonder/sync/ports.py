"""What the Buildium mirror needs from the outside: a source of Buildium JSON and a store.

The sync service is written against these protocols only. ``wonder.clients.buildium`` provides
the source in production (one page per call, so the service commits each page with its cursor);
:mod:`wonder.sync.mirror_store` the store; tests pass in-memory fakes of the source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from wonder.ingest.cursors import CursorState
from wonder.ingest.quarantine import QuarantineEntry
from wonder.ingest.runs import RunRecord
from wonder.sync.mirror_plan import StoredState
from wonder.sync.records import LeaseTransaction, Record

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Resource(StrEnum):
    """A mirrored Buildium collection (also its cursor's and quarantine's name suffix)."""

    RENTALS = "rentals"  # GET /v1/rentals
    UNITS = "units"  # GET /v1/rentals/units
    OWNERS = "owners"  # GET /v1/rentals/owners (no webhooks: polled)
    TENANTS = "tenants"  # GET /v1/leases/tenants
    LEASES = "leases"  # GET /v1/leases
    GL_ACCOUNTS = "gl_accounts"  # GET /v1/glaccounts
    LEASE_TRANSACTIONS = "lease_transactions"  # GET /v1/leases/{leaseId}/transactions

    @property
    def label(self) -> str:
        """Its name in cursors, the quarantine and held deletes."""
        return f"buildium:{self.value}"


# Walked with ``lastupdatedfrom``, in this order (a lease's unit and tenants arrive before it).
PAGED = (Resource.RENTALS, Resource.UNITS, Resource.OWNERS, Resource.TENANTS, Resource.LEASES)


@dataclass(frozen=True)
class SourcePage:
    """One page of a list, ordered by ``Id asc``."""

    records: Sequence[Any]
    # X-Total-Count, when the source sent it.
    total_count: int | None
    # When the source answered, by its clock where known (the Date header): the watermark of
    # bodies without a timestamp (rentals, units, owners, tenants carry none).
    requested_at: datetime


class BuildiumSource(Protocol):
    """What the mirror needs from ``wonder.clients.buildium``."""

    def list_page(
        self, resource: Resource, *, offset: int, limit: int, updated_from: datetime | None
    ) -> SourcePage:
        """``limit``/``offset`` page of ``resource`` (``orderby=Id asc``), ``lastupdatedfrom``
        inclusive when ``updated_from`` is set."""
        ...

    def changed_ledgers(self, updated_from: datetime) -> SourcePage:
        """Ids of the leases whose ledger gained or changed a transaction at or after
        ``updated_from`` (the GL transactions' ``UnitAgreement``: the lease ledger itself has no
        last-updated filter), with the request clock of the first page."""
        ...

    def lease_transactions(self, lease_id: int) -> Sequence[Any]:
        """Every transaction of one lease's ledger (all pages)."""
        ...

    def outstanding_balances(self) -> Sequence[Any]:
        """Every ``LeaseOutstandingBalanceMessage`` (all pages)."""
        ...

    def gl_accounts(self) -> Sequence[Any]:
        """Every ``GLAccountMessage`` (all pages)."""
        ...

    def gl_transaction(self, transaction_id: int) -> Mapping[str, Any] | None:
        """``GET /v1/generalledger/transactions/{id}`` (None when not found)."""
        ...

    def get_record(self, resource: Resource, record_id: int) -> Mapping[str, Any] | None:
        """One record of a paged resource by id (``GET /v1/leases/{id}`` etc.; None on 404)."""
        ...

    @property
    def requests_made(self) -> int: ...


class MirrorStore(Protocol):
    """The mirror's tables and the ingest state, in one unit of work (never commits)."""

    def load_states(self, resource: Resource, ids: Iterable[int]) -> dict[int, StoredState]: ...
    def write_records(
        self, resource: Resource, records: Sequence[Record], now: datetime
    ) -> None: ...
    def live_ids(self, resource: Resource) -> list[int]: ...
    def soft_delete(self, resource: Resource, ids: Sequence[int], now: datetime) -> int: ...
    def pending_ledgers(self) -> list[int]: ...
    def mark_ledgers_pending(self, lease_ids: Sequence[int]) -> None: ...
    def load_ledger_states(self, lease_id: int) -> dict[int, StoredState]: ...
    def write_ledger(
        self,
        lease_id: int,
        writes: Sequence[LeaseTransaction],
        deletes: Sequence[int],
        now: datetime,
    ) -> None: ...
    def get_cursor(self, name: str) -> CursorState | None: ...
    def save_cursor(
        self,
        name: str,
        *,
        modification_timestamp: datetime | None,
        last_key: str | None,
        state: dict[str, Any] | None = None,
        now: datetime,
    ) -> None: ...
    def quarantine(self, entries: Sequence[QuarantineEntry], now: datetime) -> None: ...
    def hold_deletes(
        self, resource: str, keys: Sequence[str], stored_count: int, now: datetime
    ) -> int: ...
    def record_run(self, run: RunRecord) -> None: ...


# Opens one unit of work: the block's writes commit together when it ends without an error.
MirrorUnits = Callable[[], AbstractContextManager[MirrorStore]]
