"""The values string columns may hold, as StrEnums (pure: importable without SQLAlchemy).

Columns declare them with ``wonder.db.types.str_enum``; the models re-export them.
"""

from __future__ import annotations

from enum import StrEnum


class HistoryField(StrEnum):
    """What a listing history entry records a change of."""

    LIST_PRICE = "list_price"
    STANDARD_STATUS = "standard_status"


class ChangeKind(StrEnum):
    """What happened to a listing, in the change feed."""

    UPSERT = "upsert"
    DELETE = "delete"


class HeldDeleteStatus(StrEnum):
    """A held delete waits (HELD) until an operator applies or rejects it."""

    HELD = "held"
    APPLIED = "applied"
    REJECTED = "rejected"


class SyncRunStatus(StrEnum):
    """How one run of a sync pipeline over one resource ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class LabelChangeKind(StrEnum):
    """A Gmail label change, as ``history.list`` reports it."""

    ADDED = "added"
    REMOVED = "removed"


class LeaseStatus(StrEnum):
    """Buildium ``LeaseMessage.LeaseStatus``."""

    ACTIVE = "Active"
    PAST = "Past"
    FUTURE = "Future"


class LeaseTenantStatus(StrEnum):
    """Buildium ``LeaseTenantMessage.Status``: a tenant's standing on one lease."""

    MOVED_OUT = "MovedOut"
    CURRENT = "Current"
    FUTURE = "Future"


class LeaseTransactionType(StrEnum):
    """Buildium ``LeaseTransactionMessage.TransactionTypeEnum`` (every value the spec lists)."""

    BILL = "Bill"
    CHECK = "Check"
    CHARGE = "Charge"
    PAYMENT = "Payment"
    CREDIT = "Credit"
    REFUND = "Refund"
    APPLY_DEPOSIT = "ApplyDeposit"
    ELECTRONIC_FUNDS_TRANSFER = "ElectronicFundsTransfer"
    OTHER = "Other"
    DEPOSIT = "Deposit"
    GENERAL_JOURNAL_ENTRY = "GeneralJournalEntry"
    OWNER_CONTRIBUTION = "OwnerContribution"
    REVERSE_PAYMENT = "ReversePayment"
    REVERSE_ELECTRONIC_FUNDS_TRANSFER = "ReverseElectronicFundsTransfer"
    VENDOR_CREDIT = "VendorCredit"
    RENTAL_APPLICATION_FEE_PAYMENT = "RentalApplicationFeePayment"
    REVERSE_RENTAL_APPLICATION_FEE_PAYMENT = "ReverseRentalApplicationFeePayment"
    REVERSE_OWNER_CONTRIBUTION = "ReverseOwnerContribution"
    VENDOR_REFUND = "VendorRefund"
    UNREVERSED_PAYMENT = "UnreversedPayment"
    UNREVERSED_ELECTRONIC_FUNDS_TRANSFER = "UnreversedElectronicFundsTransfer"
    UNREVERSED_OWNER_CONTRIBUTION = "UnreversedOwnerContribution"
    UNREVERSED_RENTAL_APPLICATION_FEE_PAYMENT = "UnreversedRentalApplicationFeePayment"
    REVERSED_EFT_REFUND = "ReversedEftRefund"


class GLAccountType(StrEnum):
    """Buildium ``GLAccountMessage.Type``."""

    ASSET = "Asset"
    LIABILITY = "Liability"
    EQUITY = "Equity"
    INCOME = "Income"
    EXPENSE = "Expense"


class BalanceScope(StrEnum):
    """What one PM Balance Sheet row totals: a lease, or every lease of a unit or a property."""

    LEASE = "lease"
    UNIT = "unit"
    PROPERTY = "property"


class ReconciliationStatus(StrEnum):
    """One lease in a reconciliation of our balances with Buildium's outstanding balances."""

    MATCH = "match"
    MISMATCH = "mismatch"
    # Buildium reports a balance for a lease our mirror does not hold (or holds as deleted).
    MISSING_OURS = "missing_ours"
    # We compute a positive balance Buildium does not list (it omits zero and credit balances).
    MISSING_THEIRS = "missing_theirs"


class InboxStatus(StrEnum):
    """A webhook inbox event: PENDING until a drain claims it (PROCESSING), then DONE, or DEAD
    once it failed ``max_attempts`` times (a dead letter, replayable)."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    DEAD = "dead"
