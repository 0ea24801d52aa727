"""Typed records of what the sync reads from Buildium (only the fields it needs; the raw
message is kept beside each, so nothing is lost). Money is ``Decimal``, made from the JSON
number's shortest repr (pydantic's float → Decimal), so "1575.35" is exactly 1575.35: amounts
are never added up as floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    Id: int
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)

    @classmethod
    def of(cls, message: dict[str, Any]) -> Any:
        return cls.model_validate({**message, "raw": message})


class Rental(Record):
    Name: str | None = None
    IsActive: bool = True
    NumberUnits: int = 0
    RentalSubType: str | None = None


class Unit(Record):
    PropertyId: int
    UnitNumber: str | None = None
    MarketRent: Decimal | None = None
    IsUnitOccupied: bool | None = None


class RentalOwner(Record):
    FirstName: str | None = None
    LastName: str | None = None
    CompanyName: str | None = None
    IsCompany: bool = False
    Email: str | None = None
    PropertyIds: list[int] = Field(default_factory=list)


class Tenant(Record):
    FirstName: str | None = None
    LastName: str | None = None
    Email: str | None = None


class LeaseTenant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    Id: int
    Status: str
    MoveInDate: date | None = None


class Lease(Record):
    PropertyId: int
    UnitId: int
    UnitNumber: str | None = None
    LeaseFromDate: date | None = None
    LeaseToDate: date | None = None
    LeaseType: str
    LeaseStatus: str
    LastUpdatedDateTime: datetime | None = None
    Tenants: list[LeaseTenant] | None = None
    SecurityDeposit: Decimal | None = None
    Rent: Decimal | None = None

    @classmethod
    def of(cls, message: dict[str, Any]) -> Lease:
        details = message.get("AccountDetails") or {}
        return cls.model_validate(
            {
                **message,
                "SecurityDeposit": details.get("SecurityDeposit"),
                "Rent": details.get("Rent"),
                "raw": message,
            }
        )


class JournalLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    gl_account_id: int
    amount: Decimal


class LeaseTransaction(Record):
    LeaseId: int | None = None
    Date: date
    TransactionTypeEnum: str
    TotalAmount: Decimal
    lines: tuple[JournalLine, ...] = ()

    @classmethod
    def of(cls, message: dict[str, Any]) -> LeaseTransaction:
        journal = message.get("Journal") or {}
        lines = tuple(
            JournalLine(gl_account_id=line["GLAccount"]["Id"], amount=line["Amount"])
            for line in journal.get("Lines") or []
        )
        return cls.model_validate({**message, "lines": lines, "raw": message})


class GLTransaction(Record):
    Date: date
    TransactionType: str
    TotalAmount: Decimal
    lease_id: int | None = None  # UnitAgreement.Id when UnitAgreement.Type is Lease
    LastUpdatedDateTime: datetime | None = None

    @classmethod
    def of(cls, message: dict[str, Any]) -> GLTransaction:
        agreement = message.get("UnitAgreement") or {}
        lease_id = agreement.get("Id") if agreement.get("Type") == "Lease" else None
        return cls.model_validate({**message, "lease_id": lease_id, "raw": message})


class GLAccount(Record):
    AccountNumber: str | None = None
    Name: str | None = None
    Type: str


class OutstandingBalance(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    LeaseId: int
    PropertyId: int
    UnitId: int | None = None
    TotalBalance: Decimal
    Balance0To30Days: Decimal
    Balance31To60Days: Decimal
    Balance61To90Days: Decimal
    BalanceOver90Days: Decimal
    by_gl_account: dict[int, Decimal] = Field(default_factory=dict)

    @classmethod
    def of(cls, message: dict[str, Any]) -> OutstandingBalance:
        by_gl = {
            line["GlAccountId"]: line["TotalBalance"] for line in message.get("Balances") or []
        }
        return cls.model_validate({**message, "by_gl_account": by_gl})
