"""The write paths: PUT rental, unit, rental owner, tenant and lease, POST a lease charge.

A PUT replaces the resource: every field of the put message that the body leaves out is
cleared (null, false, 0 or empty), exactly as Buildium does, so a client must read, merge and
send the whole record. Bodies were already validated against the spec's request schema.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from wonder.sandbox.buildium.ledger import Txn
from wonder.sandbox.buildium.store import BuildiumStore


class WriteError(Exception):
    def __init__(self, status: int, key: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.key = key
        self.message = message


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "AddressLine1": value.get("AddressLine1"),
        "AddressLine2": value.get("AddressLine2"),
        "AddressLine3": value.get("AddressLine3"),
        "City": value.get("City"),
        "State": value.get("State"),
        "PostalCode": value.get("PostalCode"),
        "Country": value.get("Country"),
    }


def _phones(value: dict[str, Any] | None) -> list[dict[str, Any]]:
    kinds = (("Home", "Home"), ("Work", "Office"), ("Mobile", "Cell"), ("Fax", "Fax"))
    return [
        {"Number": value[field], "Type": kind}
        for field, kind in kinds
        if value and value.get(field)
    ]


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def put_rental(store: BuildiumStore, record: dict[str, Any], body: dict[str, Any]) -> None:
    if int(body["OperatingBankAccountId"]) not in store.records["glaccounts"]:
        raise WriteError(422, "OperatingBankAccountId", "The bank account does not exist.")
    record.update(
        Name=body["Name"],
        StructureDescription=body.get("StructureDescription"),
        Address=_address(body["Address"]),
        RentalSubType=body["RentalSubType"],
        OperatingBankAccountId=body["OperatingBankAccountId"],
        RentalManager=None,
        Reserve=_money(body.get("Reserve")) or Decimal("0"),
        YearBuilt=body.get("YearBuilt"),
    )


def put_unit(store: BuildiumStore, record: dict[str, Any], body: dict[str, Any]) -> None:
    record.update(
        UnitNumber=body["UnitNumber"],
        UnitSize=body.get("UnitSize"),
        MarketRent=_money(body.get("MarketRent")),
        Address=_address(body["Address"]),
        UnitBedrooms=body.get("UnitBedrooms"),
        UnitBathrooms=body.get("UnitBathrooms"),
        Description=body.get("Description"),
    )


def put_owner(store: BuildiumStore, record: dict[str, Any], body: dict[str, Any]) -> None:
    unknown = [pid for pid in body["PropertyIds"] if pid not in store.records["rentals"]]
    if unknown:
        raise WriteError(422, "PropertyIds", f"Unknown property ids: {unknown}.")
    record.update(
        FirstName=body.get("FirstName"),
        LastName=body.get("LastName"),
        IsCompany=body["IsCompany"],
        CompanyName=body.get("CompanyName"),
        ManagementAgreementStartDate=body.get("ManagementAgreementStartDate"),
        ManagementAgreementEndDate=body.get("ManagementAgreementEndDate"),
        Email=body.get("Email"),
        AlternateEmail=body.get("AlternateEmail"),
        PhoneNumbers=_phones(body.get("PhoneNumbers")),
        Address=_address(body["Address"]),
        Comment=body.get("Comment"),
        PropertyIds=list(body["PropertyIds"]),
    )


def put_tenant(store: BuildiumStore, record: dict[str, Any], body: dict[str, Any]) -> None:
    contact = body.get("EmergencyContact")
    record.update(
        FirstName=body["FirstName"],
        LastName=body["LastName"],
        Email=body.get("Email"),
        AlternateEmail=body.get("AlternateEmail"),
        PhoneNumbers=_phones(body.get("PhoneNumbers")),
        DateOfBirth=body.get("DateOfBirth"),
        Comment=body.get("Comment"),
        TaxId=body.get("TaxId"),
        EmergencyContact=None
        if contact is None
        else {
            key: contact.get(key) for key in ("Name", "RelationshipDescription", "Phone", "Email")
        },
        Address=_address(body["Address"]),
        AlternateAddress=_address(body.get("AlternateAddress")),
        MailingPreference=body.get("MailingPreference"),
    )


def put_lease(store: BuildiumStore, record: dict[str, Any], body: dict[str, Any]) -> None:
    unit = store.records["units"].get(int(body["UnitId"]))
    if unit is None:
        raise WriteError(422, "UnitId", "The unit does not exist.")
    record.update(
        LeaseType=body["LeaseType"],
        UnitId=unit["Id"],
        PropertyId=unit["PropertyId"],
        UnitNumber=unit["UnitNumber"],
        LeaseFromDate=body["LeaseFromDate"],
        LeaseToDate=body.get("LeaseToDate"),
        IsEvictionPending=body["IsEvictionPending"],
        AutomaticallyMoveOutTenants=bool(body.get("AutomaticallyMoveOutTenants")),
    )


def post_charge(store: BuildiumStore, lease_id: int, body: dict[str, Any]) -> Txn:
    lines = body.get("Lines") or []
    if not lines:
        raise WriteError(422, "Lines", "A charge needs at least one line.")
    if "Date" not in body:
        raise WriteError(422, "Date", "The Date field is required.")
    parsed: list[tuple[int, Decimal]] = []
    for index, line in enumerate(lines):
        gl_id = int(line["GLAccountId"])
        if gl_id not in store.records["glaccounts"]:
            raise WriteError(422, f"Lines[{index}].GLAccountId", "The GL account does not exist.")
        amount = Decimal(str(line["Amount"]))
        if amount <= 0:
            raise WriteError(422, f"Lines[{index}].Amount", "The amount must be positive.")
        parsed.append((gl_id, amount))
    return store.post(
        lease_id, "Charge", date.fromisoformat(body["Date"]), tuple(parsed), memo=body.get("Memo")
    )


PUTS = {
    "rentals": put_rental,
    "units": put_unit,
    "owners": put_owner,
    "tenants": put_tenant,
    "leases": put_lease,
}
