"""Buildium JSON → typed records, strictly (``wonder.ingest.fields``). Pure.

A record with a missing id, a wrong type or an unknown enum value raises ``FieldError`` naming
the field; :func:`parse_all` turns that into a quarantine entry, so nothing is dropped silently.
Money is read exactly (Decimal, at most two decimals), never through float arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from wonder.db.enums import GLAccountType, LeaseStatus, LeaseTenantStatus, LeaseTransactionType
from wonder.db.json_text import holds_nul
from wonder.ingest.fields import FieldError, FieldReader, type_name
from wonder.ingest.hashing import content_hash
from wonder.ingest.quarantine import QuarantineEntry, entry_for

INT32 = 2**31 - 1
_LEASE_STATUS = {s.value: s.value for s in LeaseStatus}
_TENANT_STATUS = {s.value: s.value for s in LeaseTenantStatus}
_TRANSACTION_TYPE = {t.value: t.value for t in LeaseTransactionType}
_GL_TYPE = {t.value: t.value for t in GLAccountType}


@dataclass(frozen=True)
class Rental:
    id: int
    name: str | None
    rental_type: str | None
    rental_sub_type: str | None
    is_active: bool | None
    city: str | None
    state: str | None
    postal_code: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class Unit:
    id: int
    property_id: int
    unit_number: str | None
    market_rent: Decimal | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class Owner:
    id: int
    is_company: bool | None
    is_active: bool | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    property_ids: tuple[int, ...]
    raw: dict[str, Any]


@dataclass(frozen=True)
class Tenant:
    id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class LeaseTenant:
    tenant_id: int
    status: LeaseTenantStatus | None
    move_in_date: date | None
    move_out_date: date | None
    notice_given_date: date | None


@dataclass(frozen=True)
class Lease:
    id: int
    property_id: int
    unit_id: int
    unit_number: str | None
    lease_from_date: date | None
    lease_to_date: date | None
    lease_type: str | None
    status: LeaseStatus
    rent: Decimal | None
    security_deposit: Decimal | None
    last_updated_at: datetime | None
    tenants: tuple[LeaseTenant, ...]
    raw: dict[str, Any]


@dataclass(frozen=True)
class JournalLine:
    gl_account_id: int | None
    amount: Decimal
    is_cash_posting: bool | None
    property_id: int | None
    unit_id: int | None
    memo: str | None


@dataclass(frozen=True)
class LeaseTransaction:
    id: int
    lease_id: int
    date: date
    transaction_type: LeaseTransactionType
    total_amount: Decimal
    memo: str | None
    lines: tuple[JournalLine, ...]
    raw: dict[str, Any]


@dataclass(frozen=True)
class GLAccount:
    id: int
    account_number: str | None
    name: str | None
    type: GLAccountType
    sub_type: str | None
    default_account_name: str | None
    is_bank_account: bool | None
    parent_id: int | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class OutstandingBalance:
    """Buildium's ``LeaseOutstandingBalanceMessage``: what it says a lease owes."""

    lease_id: int
    property_id: int | None
    unit_id: int | None
    total_balance: Decimal
    by_gl_account: tuple[tuple[int, Decimal], ...]


Record = Rental | Unit | Owner | Tenant | Lease | LeaseTransaction | GLAccount
R = TypeVar("R")


def record_hash(record: Record) -> str:
    return content_hash(record.raw)


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(field, f"expected an object, got {type_name(value)}")
    return value


def _id(reader: FieldReader, name: str = "Id") -> int:
    value = reader.integer(name, 1, INT32)
    if value is None:
        raise FieldError(name, "missing or null")
    return value


def _boolean(record: Mapping[str, Any], name: str) -> bool | None:
    value = record.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise FieldError(name, f"expected a boolean, got {type_name(value)}")


def _objects(record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError(name, f"expected an array, got {type_name(value)}")
    return [_object(item, f"{name}[{i}]") for i, item in enumerate(value)]


def _nested(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = record.get(name)
    return {} if value is None else _object(value, name)


def _required_money(reader: FieldReader, name: str) -> Decimal:
    value = reader.money(name)
    if value is None:
        raise FieldError(name, "missing or null")
    return value


def parse_rental(raw: Mapping[str, Any]) -> Rental:
    r, address = FieldReader(raw), FieldReader(_nested(raw, "Address"))
    return Rental(
        id=_id(r),
        name=r.string("Name", 255),
        rental_type=r.string("RentalType", 32),
        rental_sub_type=r.string("RentalSubType", 32),
        is_active=_boolean(raw, "IsActive"),
        city=address.string("City", 128),
        state=address.string("State", 64),
        postal_code=address.string("PostalCode", 16),
        raw=dict(raw),
    )


def parse_unit(raw: Mapping[str, Any]) -> Unit:
    r = FieldReader(raw)
    return Unit(
        id=_id(r),
        property_id=_id(r, "PropertyId"),
        unit_number=r.string("UnitNumber", 64),
        market_rent=r.money("MarketRent"),
        raw=dict(raw),
    )


def parse_owner(raw: Mapping[str, Any]) -> Owner:
    r = FieldReader(raw)
    ids = raw.get("PropertyIds") or []
    if not isinstance(ids, list):
        raise FieldError("PropertyIds", f"expected an array, got {type_name(ids)}")
    property_ids = tuple(sorted({_id(FieldReader({"PropertyIds": v}), "PropertyIds") for v in ids}))
    return Owner(
        id=_id(r),
        is_company=_boolean(raw, "IsCompany"),
        is_active=_boolean(raw, "IsActive"),
        first_name=r.string("FirstName", 128),
        last_name=r.string("LastName", 128),
        company_name=r.string("CompanyName", 255),
        email=r.string("Email", 255),
        property_ids=property_ids,
        raw=dict(raw),
    )


def parse_tenant(raw: Mapping[str, Any]) -> Tenant:
    r = FieldReader(raw)
    return Tenant(
        id=_id(r),
        first_name=r.string("FirstName", 128),
        last_name=r.string("LastName", 128),
        email=r.string("Email", 255),
        raw=dict(raw),
    )


def parse_lease(raw: Mapping[str, Any]) -> Lease:
    r, account = FieldReader(raw), FieldReader(_nested(raw, "AccountDetails"))
    status = r.enum("LeaseStatus", _LEASE_STATUS)
    if status is None:
        raise FieldError("LeaseStatus", "missing or null")
    move_outs = {}
    for move_out_raw in _objects(raw, "MoveOutData"):
        move_out = FieldReader(move_out_raw)
        move_outs[_id(move_out, "TenantId")] = (
            move_out.date("MoveOutDate"),
            move_out.date("NoticeGivenDate"),
        )
    tenants = {}
    for tenant_raw in _objects(raw, "Tenants"):
        tenant = FieldReader(tenant_raw)
        tenant_id = _id(tenant)
        tenant_status = tenant.enum("Status", _TENANT_STATUS)
        move_out_date, notice = move_outs.get(tenant_id, (None, None))
        tenants[tenant_id] = LeaseTenant(
            tenant_id=tenant_id,
            status=LeaseTenantStatus(tenant_status) if tenant_status else None,
            move_in_date=tenant.date("MoveInDate"),
            move_out_date=move_out_date,
            notice_given_date=notice,
        )
    return Lease(
        id=_id(r),
        property_id=_id(r, "PropertyId"),
        unit_id=_id(r, "UnitId"),
        unit_number=r.string("UnitNumber", 64),
        lease_from_date=r.date("LeaseFromDate"),
        lease_to_date=r.date("LeaseToDate"),
        lease_type=r.string("LeaseType", 32),
        status=LeaseStatus(status),
        rent=account.money("Rent"),
        security_deposit=account.money("SecurityDeposit"),
        last_updated_at=r.timestamp("LastUpdatedDateTime"),
        tenants=tuple(tenants[k] for k in sorted(tenants)),
        raw=dict(raw),
    )


def parse_lease_transaction(raw: Mapping[str, Any], lease_id: int) -> LeaseTransaction:
    """A ledger entry read under ``lease_id`` (its own ``LeaseId``, when set, must agree)."""
    r, journal = FieldReader(raw), _nested(raw, "Journal")
    kind = r.enum("TransactionTypeEnum", _TRANSACTION_TYPE)
    if kind is None:
        raise FieldError("TransactionTypeEnum", "missing or null")
    own_lease = r.integer("LeaseId", 1, INT32)
    if own_lease is not None and own_lease != lease_id:
        raise FieldError("LeaseId", f"{own_lease} but read under lease {lease_id}")
    when = r.date("Date")
    if when is None:
        raise FieldError("Date", "missing or null")
    lines = []
    for line_raw in _objects(journal, "Lines"):
        line, account = FieldReader(line_raw), FieldReader(_nested(line_raw, "GLAccount"))
        lines.append(
            JournalLine(
                gl_account_id=account.integer("Id", 1, INT32),
                amount=_required_money(line, "Amount"),
                is_cash_posting=_boolean(line_raw, "IsCashPosting"),
                property_id=line.integer("PropertyId", 0, INT32),
                unit_id=line.integer("UnitId", 0, INT32),
                memo=line.text("Memo"),
            )
        )
    total = _required_money(r, "TotalAmount")
    # The balance sheet counts lines: a total its lines do not carry must not be lost.
    if sum((line.amount for line in lines), Decimal(0)) != total:
        raise FieldError("TotalAmount", f"{total} is not the sum of Journal.Lines.Amount")
    return LeaseTransaction(
        id=_id(r),
        lease_id=lease_id,
        date=when,
        transaction_type=LeaseTransactionType(kind),
        total_amount=total,
        memo=FieldReader(journal).text("Memo"),
        lines=tuple(lines),
        raw=dict(raw),
    )


def parse_gl_accounts(raw: Mapping[str, Any]) -> list[GLAccount]:
    """An account and its sub-accounts (Buildium nests them one level deep), flattened."""
    r = FieldReader(raw)
    account_type = r.enum("Type", _GL_TYPE)
    if account_type is None:
        raise FieldError("Type", "missing or null")
    account = GLAccount(
        id=_id(r),
        account_number=r.string("AccountNumber", 32),
        name=r.string("Name", 255),
        type=GLAccountType(account_type),
        sub_type=r.string("SubType", 32),
        default_account_name=r.string("DefaultAccountName", 255),
        is_bank_account=_boolean(raw, "IsBankAccount"),
        parent_id=r.integer("ParentGLAccountId", 1, INT32),
        raw={k: v for k, v in raw.items() if k != "SubAccounts"},
    )
    children = [parse_gl_accounts(sub) for sub in _objects(raw, "SubAccounts")]
    return [account, *(a for group in children for a in group)]


def parse_outstanding_balance(raw: Mapping[str, Any]) -> OutstandingBalance:
    r = FieldReader(raw)
    lines = [FieldReader(line) for line in _objects(raw, "Balances")]
    by_account = tuple(
        (_id(line, "GlAccountId"), _required_money(line, "TotalBalance")) for line in lines
    )
    return OutstandingBalance(
        lease_id=_id(r, "LeaseId"),
        property_id=r.integer("PropertyId", 1, INT32),
        unit_id=r.integer("UnitId", 1, INT32),
        total_balance=_required_money(r, "TotalBalance"),
        by_gl_account=by_account,
    )


def lease_of_gl_transaction(raw: Mapping[str, Any]) -> int | None:
    """The lease a GL transaction belongs to (``UnitAgreement`` of type Lease), if any: how a
    ``LeaseTransaction.*`` webhook, which carries no LeaseId, finds its lease."""
    agreement = FieldReader(_nested(raw, "UnitAgreement"))
    if agreement.text("Type") != "Lease":
        return None
    return agreement.integer("Id", 1, INT32)


def record_key_of(raw: Any) -> str | None:
    """The record's ``Id`` as text for the quarantine, when it has a readable one."""
    if isinstance(raw, Mapping):
        value = raw.get("Id", raw.get("LeaseId"))
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def parse_all(
    resource: str, raws: Sequence[Any], parse: Callable[[Mapping[str, Any]], R]
) -> tuple[list[R], list[QuarantineEntry]]:
    """Every record parsed, or quarantined with the reason (never dropped)."""
    parsed: list[R] = []
    rejected: list[QuarantineEntry] = []
    for raw in raws:
        try:
            if not isinstance(raw, Mapping):
                raise FieldError("record", f"expected an object, got {type_name(raw)}")
            record = parse(raw)
            if holds_nul(raw):  # PostgreSQL refuses NUL in JSON: the page would never write
                raise FieldError("raw", "contains a NUL character")
            parsed.append(record)
        except FieldError as exc:
            rejected.append(entry_for(resource, record_key_of(raw), str(exc), raw))
    return parsed, rejected
