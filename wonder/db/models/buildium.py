"""The Buildium mirror: rentals, units, owners, tenants, leases, lease ledgers, GL accounts; and
what we compute from it: the PM Balance Sheet and its reconciliations with Buildium.

Each mirrored record keeps the raw JSON Buildium sent, its Buildium id as the key and the content
hash of that JSON (``wonder.ingest.hashing``): a re-read whose hash is unchanged writes nothing.
``last_seen_at`` is when the stored version was written; a record gone from Buildium's ID set is
soft-deleted (``deleted_at``), never removed. No foreign keys between mirrored records: Buildium
(and its webhooks) may hand us a lease before its unit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.enums import (
    BalanceScope,
    GLAccountType,
    LeaseStatus,
    LeaseTenantStatus,
    LeaseTransactionType,
    ReconciliationStatus,
)
from wonder.db.types import BigId, JsonDocument, Money, UTCDateTime, str_enum


class MirroredRecord:
    """Columns every mirrored Buildium record has."""

    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _buildium_id() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, autoincrement=False)


class BuildiumRental(MirroredRecord, Base):
    """A rental property (``RentalMessage``)."""

    __tablename__ = "buildium_rentals"

    id: Mapped[int] = _buildium_id()
    name: Mapped[str | None] = mapped_column(String(255))
    rental_type: Mapped[str | None] = mapped_column(String(32))
    rental_sub_type: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool | None] = mapped_column(Boolean)
    city: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str | None] = mapped_column(String(64))
    postal_code: Mapped[str | None] = mapped_column(String(16))


class BuildiumUnit(MirroredRecord, Base):
    """A rental unit (``RentalUnitMessage``)."""

    __tablename__ = "buildium_units"

    id: Mapped[int] = _buildium_id()
    property_id: Mapped[int] = mapped_column(Integer, index=True)
    unit_number: Mapped[str | None] = mapped_column(String(64))
    market_rent: Mapped[Decimal | None] = mapped_column(Money)


class BuildiumOwner(MirroredRecord, Base):
    """A rental owner (``RentalOwnerMessage``); Buildium sends no webhooks for owners."""

    __tablename__ = "buildium_owners"

    id: Mapped[int] = _buildium_id()
    is_company: Mapped[bool | None] = mapped_column(Boolean)
    is_active: Mapped[bool | None] = mapped_column(Boolean)
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    company_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))


class BuildiumOwnerRental(Base):
    """An owner's property (``RentalOwnerMessage.PropertyIds``), replaced with the owner."""

    __tablename__ = "buildium_owner_rentals"

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rental_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    __table_args__ = (Index("ix_buildium_owner_rentals_rental", "rental_id"),)


class BuildiumTenant(MirroredRecord, Base):
    """A tenant (``TenantMessage``)."""

    __tablename__ = "buildium_tenants"

    id: Mapped[int] = _buildium_id()
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(255))


class BuildiumLease(MirroredRecord, Base):
    """A lease (``LeaseMessage``). ``ledger_pending``: its ledger must be re-read (set in the
    transaction that stored a new or changed lease, cleared in the one that stored its ledger)."""

    __tablename__ = "buildium_leases"

    id: Mapped[int] = _buildium_id()
    property_id: Mapped[int] = mapped_column(Integer, index=True)
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    unit_number: Mapped[str | None] = mapped_column(String(64))
    lease_from_date: Mapped[date | None] = mapped_column(Date)
    lease_to_date: Mapped[date | None] = mapped_column(Date)
    lease_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[LeaseStatus] = mapped_column(str_enum(LeaseStatus, 16))
    rent: Mapped[Decimal | None] = mapped_column(Money)
    security_deposit: Mapped[Decimal | None] = mapped_column(Money)
    last_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ledger_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    ledger_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BuildiumLeaseTenant(Base):
    """A tenant on a lease (``LeaseMessage.Tenants`` + ``MoveOutData``), replaced with the lease."""

    __tablename__ = "buildium_lease_tenants"

    lease_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[LeaseTenantStatus | None] = mapped_column(str_enum(LeaseTenantStatus, 16))
    move_in_date: Mapped[date | None] = mapped_column(Date)
    move_out_date: Mapped[date | None] = mapped_column(Date)
    notice_given_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_buildium_lease_tenants_tenant", "tenant_id"),)


class BuildiumLeaseTransaction(MirroredRecord, Base):
    """A lease ledger entry (``LeaseTransactionMessage``); its journal lines are rows of
    :class:`BuildiumLeaseTransactionLine` (the balance sheet splits them by GL account)."""

    __tablename__ = "buildium_lease_transactions"

    id: Mapped[int] = _buildium_id()
    lease_id: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    transaction_type: Mapped[LeaseTransactionType] = mapped_column(
        str_enum(LeaseTransactionType, 48)
    )
    total_amount: Mapped[Decimal] = mapped_column(Money)
    memo: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_buildium_lease_transactions_lease", "lease_id", "date", "id"),)


class BuildiumLeaseTransactionLine(Base):
    """One journal line of a lease transaction (``JournalLineMessage``), in the order sent."""

    __tablename__ = "buildium_lease_transaction_lines"

    transaction_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("buildium_lease_transactions.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lease_id: Mapped[int] = mapped_column(Integer, index=True)
    gl_account_id: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    is_cash_posting: Mapped[bool | None] = mapped_column(Boolean)
    property_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(Text)


class BuildiumGLAccount(MirroredRecord, Base):
    """A general ledger account (``GLAccountMessage``; sub-accounts flattened, with parent)."""

    __tablename__ = "buildium_gl_accounts"

    id: Mapped[int] = _buildium_id()
    account_number: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[GLAccountType] = mapped_column(str_enum(GLAccountType, 16))
    sub_type: Mapped[str | None] = mapped_column(String(32))
    default_account_name: Mapped[str | None] = mapped_column(String(255))
    is_bank_account: Mapped[bool | None] = mapped_column(Boolean)
    parent_id: Mapped[int | None] = mapped_column(Integer)


class BalanceSheetRow(Base):
    """One row of the PM Balance Sheet (``wonder.sync.balance_sheet``), the latest computation.

    ``entity_id`` is the lease, unit or property id per ``scope``. ``balance`` is rent owed
    (deposits excluded); ``outstanding`` adds unpaid deposit charges and is what Buildium's
    outstanding balance reports. ``row_hash`` lets a writer (Airtable) skip unchanged rows.
    """

    __tablename__ = "pm_balance_sheet_rows"

    scope: Mapped[BalanceScope] = mapped_column(str_enum(BalanceScope, 16), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    property_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    lease_id: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    charges: Mapped[Decimal] = mapped_column(Money)
    payments: Mapped[Decimal] = mapped_column(Money)
    credits: Mapped[Decimal] = mapped_column(Money)
    balance: Mapped[Decimal] = mapped_column(Money)
    deposits_held: Mapped[Decimal] = mapped_column(Money)
    deposit_due: Mapped[Decimal] = mapped_column(Money)
    outstanding: Mapped[Decimal] = mapped_column(Money)
    days_delinquent: Mapped[int] = mapped_column(Integer)
    oldest_unpaid_charge: Mapped[date | None] = mapped_column(Date)
    row_hash: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_pm_balance_sheet_rows_property", "property_id", "scope"),
        Index("ix_pm_balance_sheet_rows_delinquency", "scope", "days_delinquent"),
    )


class ReconciliationRun(Base):
    """One comparison of our lease balances with Buildium's ``/v1/leases/outstandingbalances``."""

    __tablename__ = "buildium_reconciliation_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    as_of: Mapped[date] = mapped_column(Date)
    leases_compared: Mapped[int] = mapped_column(Integer)
    mismatches: Mapped[int] = mapped_column(Integer)
    # True when every lease matched to the cent.
    matched: Mapped[bool] = mapped_column(Boolean)


class ReconciliationLease(Base):
    """One lease of a reconciliation run: our outstanding balance against Buildium's."""

    __tablename__ = "buildium_reconciliation_leases"

    run_id: Mapped[int] = mapped_column(
        BigId,
        ForeignKey("buildium_reconciliation_runs.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    lease_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[ReconciliationStatus] = mapped_column(str_enum(ReconciliationStatus, 16))
    mismatch: Mapped[bool] = mapped_column(Boolean)
    ours: Mapped[Decimal | None] = mapped_column(Money)
    theirs: Mapped[Decimal | None] = mapped_column(Money)
    difference: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = (Index("ix_buildium_reconciliation_leases_mismatch", "run_id", "mismatch"),)
