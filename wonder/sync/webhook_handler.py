"""Buildium webhooks, after the receiver stored them: the inbox handler for ``buildium``.

A Buildium event names an entity and nothing else (``{"EventName": "Lease.Updated",
"LeaseId": 7}``), may be a duplicate and may arrive out of order. The drain hands this handler
every pending event of one entity at once (coalesced by ``entity_key``, e.g. ``lease.7``), and
the handler re-reads that entity's *current* state from Buildium (``wonder.sync.targeted``):

- ``rental.N``, ``rentalunit.N``, ``leasetenant.N``, ``lease.N``: the record by id, written or,
  on a 404, soft-deleted, and what embeds it or follows from it, for which Buildium sends no
  event: a lease's ledger (a move-out, a new lease and a renewal change what is owed), its unit
  (occupancy) and its tenants (their ``Leases``); a tenant's leases (their ``CurrentTenants``);
- ``leasetransaction.N`` names no lease: it is resolved through the GL transaction's
  ``UnitAgreement`` (or, once the transaction is gone, through the ledger entry we mirrored),
  then that lease's ledger is re-read; a transaction of no lease changes no balance (done);
- ``glaccount.N``: the chart of accounts, whole (it is small);
- any other event (bank transactions, …): nothing we mirror, marked done.

Then, if the refresh wrote or removed anything, the PM Balance Sheet is recomputed from the
mirror and its changed rows stored, so a payment is on the balance sheet seconds after
Buildium's webhook (a duplicate changes nothing and recomputes nothing). Like the Gmail handler, it
commits its own units of work (on the drain's database) rather than writing through the drain's
session: the refreshes are the mirror's own, each with its cursor-free idempotent write, so a
crash before the drain marks the events done only means the same state is read once more. An
event it cannot resolve raises :class:`UnresolvedEvent` (retried, then dead-lettered).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wonder.clients.governor import RateGovernor
from wonder.db.engine import sessions_like
from wonder.db.models import BuildiumLeaseTransaction
from wonder.settings import Settings
from wonder.sync import records as rec
from wonder.sync.mirror_service import MirrorReport, sync_gl_accounts
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import BuildiumSource, Clock, MirrorUnits, Resource, utc_now
from wonder.sync.runner import buildium_source
from wonder.sync.targeted import (
    RefreshReport,
    refresh_balance_sheet,
    refresh_lease_ledgers,
    refresh_record,
)
from wonder.webhooks.ports import EntityBatch

logger = logging.getLogger("wonder.sync.webhooks")

# The entity part of ``entity_key`` (``wonder.webhooks.buildium.entity_key``) → what it names.
# Rental owners have no webhooks (the scheduled sync polls them).
RECORDS = {
    "rental": Resource.RENTALS,
    "rentalunit": Resource.UNITS,
    "leasetenant": Resource.TENANTS,
    "lease": Resource.LEASES,
}
TRANSACTION = "leasetransaction"
GL_ACCOUNT = "glaccount"

SourceFactory = Callable[[], AbstractContextManager[BuildiumSource]]


class UnresolvedEvent(ValueError):
    """An event the handler cannot tie to anything (dead-lettered with this reason)."""


@dataclass
class HandlerReport(RefreshReport):
    entities: int = 0
    ignored: int = 0
    ignored_kinds: set[str] = field(default_factory=set)


class BuildiumInboxHandler:
    def __init__(
        self,
        settings: Settings,
        *,
        governor: RateGovernor | None = None,
        source: SourceFactory | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._settings = settings
        # Flows set the account's Prefect global rate limit here (``flows.webhooks``).
        self.governor = governor
        self._source = source
        self._clock = clock
        self.report = HandlerReport()

    def handle(self, session: Session, batch: EntityBatch) -> None:
        kind, _, raw_id = batch.entity_key.partition(".")
        if kind not in RECORDS and kind not in (TRANSACTION, GL_ACCOUNT):
            self.report.ignored += len(batch.events)
            self.report.ignored_kinds.add(kind)
            logger.info("buildium %s events: nothing mirrored, marked done", kind)
            return
        if kind != GL_ACCOUNT and not raw_id.isdigit():
            raise UnresolvedEvent(f"{batch.entity_key!r} carries no numeric id")
        sessions = sessions_like(session)
        units = sql_units(sessions)
        before = self.report.changes()
        with self._open() as source:
            if kind in RECORDS:
                self._refresh(source, units, RECORDS[kind], int(raw_id))
            elif kind == TRANSACTION:
                lease_id = self._lease_of(source, sessions, int(raw_id))
                if lease_id is not None:
                    refresh_lease_ledgers(source, units, [lease_id], self.report, self._clock)
            else:
                sync_gl_accounts(
                    source, units, self._settings.buildium_sync, MirrorReport(), self._clock
                )
        if self.report.changes() > before:  # a duplicate or late event changed nothing
            self.report.balance_rows_written += refresh_balance_sheet(sessions, clock=self._clock)
        self.report.entities += 1

    def counts(self) -> dict[str, int]:
        """What the handler did, for the drain's artifact."""
        return {**self.report.counts(), "events ignored (not mirrored)": self.report.ignored}

    def _refresh(
        self, source: BuildiumSource, units: MirrorUnits, resource: Resource, record_id: int
    ) -> None:
        """The record, then what embeds it or follows from it (no event of theirs says so): a
        lease's ledger, unit (occupancy) and tenants (their ``Leases``); a tenant's leases
        (their ``CurrentTenants``)."""
        raw = refresh_record(source, units, resource, record_id, self.report, self._clock)
        leases = [record_id] if resource is Resource.LEASES else []
        for related, ids in _related(resource, raw).items():
            for related_id in ids:
                refresh_record(source, units, related, related_id, self.report, self._clock)
            if related is Resource.LEASES:
                leases.extend(ids)
        if leases:  # a written lease is marked for a ledger re-read: do it now
            refresh_lease_ledgers(source, units, leases, self.report, self._clock)

    def _lease_of(
        self, source: BuildiumSource, sessions: sessionmaker[Session], transaction_id: int
    ) -> int | None:
        """The lease whose ledger the transaction is on; None for a transaction of no lease."""
        raw = source.gl_transaction(transaction_id)
        if raw is not None:
            return rec.lease_of_gl_transaction(raw)
        # Gone from Buildium (voided or deleted): the ledger we mirrored says whose it was.
        with sessions() as session:
            stored = session.scalar(
                select(BuildiumLeaseTransaction.lease_id).where(
                    BuildiumLeaseTransaction.id == transaction_id
                )
            )
        if stored is None:
            raise UnresolvedEvent(
                f"lease transaction {transaction_id}: Buildium has no such GL transaction and "
                "no mirrored ledger holds it"
            )
        return int(stored)

    def _open(self) -> AbstractContextManager[BuildiumSource]:
        if self._source is not None:
            return self._source()
        return buildium_source(self._settings, self.governor)


def _related(resource: Resource, raw: Mapping[str, Any] | None) -> dict[Resource, list[int]]:
    if raw is None:
        return {}
    if resource is Resource.LEASES:
        unit = raw.get("UnitId")
        return {
            Resource.UNITS: [unit] if _is_id(unit) else [],
            Resource.TENANTS: _ids(raw.get("Tenants")),
        }
    if resource is Resource.TENANTS:
        return {Resource.LEASES: _ids(raw.get("Leases"))}
    return {}


def _ids(items: object) -> list[int]:
    """The ``Id`` of each object of a JSON list (e.g. a lease's ``Tenants``)."""
    if not isinstance(items, list):
        return []
    return sorted({i["Id"] for i in items if isinstance(i, Mapping) and _is_id(i.get("Id"))})


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def buildium_inbox_handler(settings: Settings) -> BuildiumInboxHandler:
    """The ``wonder.webhook_handlers`` entry point for ``buildium``."""
    return BuildiumInboxHandler(settings)
