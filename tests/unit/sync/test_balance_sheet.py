"""The PM Balance Sheet: hand-computed scenarios and the invariants any ledger must keep."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.buildium_mirror_fixtures import (
    AS_OF,
    DEPOSIT,
    EXPECTED_LEASES,
    EXPECTED_PROPERTIES,
    EXPECTED_UNITS,
    RENT,
)
from tests.unit.sync.ledger_inputs import fixture_inputs
from wonder.db.enums import GLAccountType, LeaseTransactionType
from wonder.sync.balance_sheet import (
    MONEY_FIELDS,
    AccountRef,
    BalanceRow,
    LeaseRef,
    LedgerLine,
    compute_balance_sheet,
    deposit_account_ids,
)

T = LeaseTransactionType


def figures(row: BalanceRow) -> tuple[object, ...]:
    return (
        row.charges,
        row.payments,
        row.credits,
        row.balance,
        row.deposits_held,
        row.deposit_due,
        row.outstanding,
        row.days_delinquent,
        row.oldest_unpaid_charge,
    )


def test_the_fixture_portfolio_matches_the_hand_computed_rows() -> None:
    leases, lines, deposits = fixture_inputs()
    sheet = compute_balance_sheet(leases, lines, deposits, AS_OF)
    assert {r.entity_id: figures(r) for r in sheet.leases} == EXPECTED_LEASES
    assert {r.entity_id: figures(r) for r in sheet.units} == EXPECTED_UNITS
    assert {r.entity_id: figures(r) for r in sheet.properties} == EXPECTED_PROPERTIES
    assert sheet.unclassified == ()
    assert sheet.orphan_lease_ids == ()


def test_only_the_liability_accounts_named_deposit_hold_deposits() -> None:
    accounts = [
        AccountRef(3, GLAccountType.LIABILITY, "Security Deposit Liability"),
        AccountRef(4, GLAccountType.LIABILITY, "Prepayments"),
        AccountRef(5, GLAccountType.LIABILITY, "Pets", "Pet Deposit"),
        AccountRef(6, GLAccountType.INCOME, "Deposit forfeits"),
    ]
    assert deposit_account_ids(accounts) == {3, 5}


def test_an_unpaid_deposit_charge_is_outstanding_but_not_rent_owed() -> None:
    leases, lines, deposits = fixture_inputs()
    row = next(
        r
        for r in compute_balance_sheet(leases, lines, deposits, AS_OF).leases
        if r.entity_id == 9002
    )
    assert (row.balance, row.deposit_due, row.outstanding) == (
        Decimal("0.00"),
        Decimal("600.00"),
        Decimal("600.00"),
    )
    assert row.days_delinquent == 0  # a deposit charge does not make a tenant delinquent


def test_entries_after_the_as_of_date_do_not_count() -> None:
    leases, lines, deposits = fixture_inputs()
    before_june = compute_balance_sheet(leases, lines, deposits, date(2026, 5, 31))
    row = next(r for r in before_june.leases if r.entity_id == 9001)
    # April rent + May rent + late fee, less 1500 + 1000 paid; the late fee is the oldest unpaid.
    assert (row.charges, row.payments, row.balance) == (
        Decimal("3075.35"),
        Decimal("2500.00"),
        Decimal("575.35"),
    )
    assert row.oldest_unpaid_charge == date(2026, 5, 1)
    assert row.days_delinquent == 30


def test_a_float_amount_is_refused_not_rounded() -> None:
    line = LedgerLine(1, 1, AS_OF, T.CHARGE, RENT, 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Decimal"):
        compute_balance_sheet([LeaseRef(1, 1, 1)], [line], frozenset(), AS_OF)


def test_types_the_sheet_does_not_count_are_listed() -> None:
    lines = [LedgerLine(7, 1, AS_OF, T.GENERAL_JOURNAL_ENTRY, RENT, Decimal(5))]
    sheet = compute_balance_sheet([LeaseRef(1, 1, 1)], lines, frozenset(), AS_OF)
    assert sheet.unclassified == (7,)
    other = [LedgerLine(8, 2, AS_OF, T.CHARGE, RENT, Decimal(5))]
    assert compute_balance_sheet(
        [LeaseRef(1, 1, 1)], other, frozenset(), AS_OF
    ).orphan_lease_ids == (2,)


# --- invariants over generated ledgers -------------------------------------------------------

CENT = Decimal("0.01")
KINDS = [T.CHARGE, T.PAYMENT, T.CREDIT, T.REVERSE_PAYMENT, T.REFUND, T.APPLY_DEPOSIT]
# Many digits: the sheet must quantize once per line and never lose a digit through float.
amounts = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999.9999"), places=6)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[LeaseRef], list[LedgerLine]]:
    leases = [
        LeaseRef(i, draw(st.integers(1, 4)), 0) for i in range(1, draw(st.integers(1, 6)) + 1)
    ]
    leases = [LeaseRef(x.lease_id, x.unit_id, x.unit_id % 2) for x in leases]
    lines = [
        LedgerLine(
            n,
            draw(st.sampled_from([x.lease_id for x in leases])),
            AS_OF - timedelta(days=draw(st.integers(0, 120))),
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from([RENT, DEPOSIT])),
            draw(amounts),
        )
        for n in range(draw(st.integers(0, 30)))
    ]
    return leases, lines


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


@settings(max_examples=200, deadline=None)
@given(ledgers())
def test_balance_is_charges_less_payments_and_credits_and_roll_ups_add_up(
    ledger: tuple[list[LeaseRef], list[LedgerLine]],
) -> None:
    leases, lines = ledger
    sheet = compute_balance_sheet(leases, lines, frozenset({DEPOSIT}), AS_OF)
    for row in sheet.rows():
        for name in MONEY_FIELDS:
            value = getattr(row, name)
            assert type(value) is Decimal, (name, value)
            assert value.as_tuple().exponent == -2, (name, value)
        assert row.balance == row.charges - row.payments - row.credits
        assert row.outstanding == row.balance + row.deposit_due
    for row in sheet.leases:
        mine = [x for x in lines if x.lease_id == row.entity_id]
        rent_charges = [
            x for x in mine if x.transaction_type is T.CHARGE and x.gl_account_id == RENT
        ]
        # Oracle, written independently: the charges as cents, deposits excluded.
        assert row.charges == sum((_cents(x.amount) for x in rent_charges), Decimal("0.00"))
        deposit_charges = sum(
            (
                _cents(x.amount)
                for x in mine
                if x.transaction_type is T.CHARGE and x.gl_account_id == DEPOSIT
            ),
            Decimal("0.00"),
        )
        assert row.charges + deposit_charges == sum(
            (_cents(x.amount) for x in mine if x.transaction_type is T.CHARGE), Decimal("0.00")
        )
        # Oldest unpaid: the first charge (by date, id) whose running total exceeds what settled
        # (a balance made only of reversed payments has no unpaid charge).
        settled = row.payments + row.credits
        running, oldest = Decimal(0), None
        owed = [x for x in rent_charges if _cents(x.amount) > 0]
        for x in sorted(owed, key=lambda x: (x.date, x.transaction_id)):
            running += _cents(x.amount)
            if running > settled:
                oldest = x.date
                break
        expected = oldest if row.balance > 0 else None
        assert row.oldest_unpaid_charge == expected
        assert row.days_delinquent == ((AS_OF - expected).days if expected else 0)
    for group, scope_rows, key in (
        ("unit", sheet.units, "unit_id"),
        ("property", sheet.properties, "property_id"),
    ):
        for total in scope_rows:
            members = [r for r in sheet.leases if getattr(r, key) == total.entity_id]
            for name in MONEY_FIELDS:
                assert getattr(total, name) == sum(
                    (getattr(r, name) for r in members), Decimal("0.00")
                ), (group, name)
            assert total.days_delinquent == max(r.days_delinquent for r in members)
    for name in MONEY_FIELDS:
        assert sum((getattr(r, name) for r in sheet.units), Decimal(0)) == sum(
            (getattr(r, name) for r in sheet.properties), Decimal(0)
        )
