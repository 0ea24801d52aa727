"""The fixture portfolio as balance-sheet inputs, through the record parser (as the mirror)."""

from __future__ import annotations

from tests.buildium_mirror_fixtures import GL_ACCOUNTS, LEDGERS, portfolio
from wonder.sync.balance_sheet import AccountRef, LeaseRef, LedgerLine, deposit_account_ids
from wonder.sync.ports import Resource
from wonder.sync.records import parse_gl_accounts, parse_lease, parse_lease_transaction


def fixture_inputs() -> tuple[list[LeaseRef], list[LedgerLine], frozenset[int]]:
    leases = [parse_lease(raw) for raw in portfolio()[Resource.LEASES]]
    lines = [
        LedgerLine(t.id, t.lease_id, t.date, t.transaction_type, line.gl_account_id, line.amount)
        for lease_id, ledger in LEDGERS.items()
        for t in (parse_lease_transaction(raw, lease_id) for raw in ledger)
        for line in t.lines
    ]
    accounts = [a for raw in GL_ACCOUNTS for a in parse_gl_accounts(raw)]
    deposits = deposit_account_ids(
        AccountRef(a.id, a.type, a.name, a.default_account_name) for a in accounts
    )
    return [LeaseRef(x.id, x.unit_id, x.property_id) for x in leases], lines, deposits
