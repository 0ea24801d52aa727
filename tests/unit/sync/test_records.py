"""Buildium JSON → typed records: exact money, nested shapes, and quarantine with a reason."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from tests.buildium_mirror_fixtures import GL_ACCOUNTS, LEDGERS, portfolio
from wonder.db.enums import GLAccountType, LeaseStatus, LeaseTenantStatus, LeaseTransactionType
from wonder.db.json_text import nul_replaced
from wonder.ingest.fields import FieldError
from wonder.sync.ports import Resource
from wonder.sync.records import (
    lease_of_gl_transaction,
    parse_all,
    parse_gl_accounts,
    parse_lease,
    parse_lease_transaction,
    parse_outstanding_balance,
    parse_owner,
    parse_unit,
)


def test_a_lease_with_its_tenants_deposit_and_move_out() -> None:
    moved_out = next(r for r in portfolio()[Resource.LEASES] if r["Id"] == 9003)
    lease = parse_lease(moved_out)
    assert (lease.status, lease.unit_id, lease.property_id) == (LeaseStatus.PAST, 2001, 200)
    assert (lease.rent, lease.security_deposit) == (Decimal("1000.00"), Decimal("1200.00"))
    (tenant,) = lease.tenants
    assert tenant.status is LeaseTenantStatus.MOVED_OUT
    assert (tenant.move_out_date, tenant.notice_given_date) == (
        date(2026, 5, 31),
        date(2026, 4, 30),
    )


def test_money_from_a_json_double_is_exact() -> None:
    late_fee = parse_lease_transaction(LEDGERS[9001][5], 9001)
    assert late_fee.transaction_type is LeaseTransactionType.CHARGE
    assert late_fee.total_amount == Decimal("75.35")
    assert late_fee.lines[0].amount == Decimal("75.35")
    assert str(late_fee.lines[0].amount) == "75.35"


def test_sub_accounts_are_flattened_with_their_parent() -> None:
    bank = parse_gl_accounts(GL_ACCOUNTS[-1])
    assert [(a.id, a.parent_id, a.type) for a in bank] == [
        (10, None, GLAccountType.ASSET),
        (11, 10, GLAccountType.ASSET),
    ]
    assert "SubAccounts" not in bank[0].raw


def test_owner_properties_and_outstanding_balances() -> None:
    assert parse_owner(portfolio()[Resource.OWNERS][0]).property_ids == (100, 200)
    balance = parse_outstanding_balance(
        {"LeaseId": 9001, "PropertyId": 100, "UnitId": 1001, "TotalBalance": 1575.35,
         "Balances": [{"GlAccountId": 1, "TotalBalance": 1500.0}]}
    )  # fmt: skip
    assert balance.total_balance == Decimal("1575.35")
    assert balance.by_gl_account == ((1, Decimal("1500.00")),)


def test_a_lease_transaction_webhook_finds_its_lease_through_the_unit_agreement() -> None:
    assert (
        lease_of_gl_transaction({"Id": 5, "UnitAgreement": {"Id": 9001, "Type": "Lease"}}) == 9001
    )
    assert (
        lease_of_gl_transaction({"Id": 5, "UnitAgreement": {"Id": 3, "Type": "OwnershipAccount"}})
        is None
    )
    assert lease_of_gl_transaction({"Id": 5, "UnitAgreement": None}) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"MarketRent": "1500"}, "MarketRent: expected a number, got string"),
        ({"PropertyId": None}, "PropertyId: missing or null"),
        ({"Id": True}, "Id: expected an integer, got boolean"),
        ({"MarketRent": 12.345}, "MarketRent: 12.345 has more than 2 decimal places"),
        ({"UnitNumber": 12}, "UnitNumber: expected a string, got number"),
        ({"Description": "Sunny\x00"}, "raw: contains a NUL character"),
        ({"X_Tags": [{"a": "\x00"}]}, "raw: contains a NUL character"),
    ],
)
def test_a_record_of_the_wrong_type_is_quarantined_with_the_reason(
    change: dict[str, object], reason: str
) -> None:
    good, bad = portfolio()[Resource.UNITS][:2]
    bad = {**copy.deepcopy(bad), **change}
    parsed, rejected = parse_all("buildium:units", [good, bad], parse_unit)
    assert [u.id for u in parsed] == [good["Id"]]
    (entry,) = rejected
    assert entry.resource == "buildium:units"
    assert entry.reason.startswith(reason)
    assert entry.raw == nul_replaced(bad)  # kept as received, but for NUL (stored as U+FFFD)


def test_an_unknown_enum_a_wrong_lease_and_totals_that_do_not_add_up_are_refused() -> None:
    charge = copy.deepcopy(LEDGERS[9001][0])
    with pytest.raises(FieldError, match="LeaseId: 9001 but read under lease 9002"):
        parse_lease_transaction(charge, 9002)
    with pytest.raises(FieldError, match="TotalAmount"):
        parse_lease_transaction({**charge, "TotalAmount": 1499.99}, 9001)
    with pytest.raises(FieldError, match="TotalAmount"):
        parse_lease_transaction({**charge, "Journal": {"Memo": None, "Lines": []}}, 9001)
    with pytest.raises(FieldError, match="'Rent' is not a known value"):
        parse_lease_transaction({**charge, "TransactionTypeEnum": "Rent"}, 9001)
    with pytest.raises(FieldError, match="LeaseStatus"):
        parse_lease({**portfolio()[Resource.LEASES][0], "LeaseStatus": "Evicted"})


def test_a_value_that_is_not_an_object_is_quarantined_too() -> None:
    parsed, rejected = parse_all("buildium:units", [[1, 2]], parse_unit)
    assert parsed == []
    assert rejected[0].reason == "record: expected an object, got array"
