"""A small hand-written Buildium portfolio, shaped as the OpenAPI spec's messages, and an
in-memory fake of the mirror's source port (``wonder.sync.ports.BuildiumSource``).

Every expected figure in the tests is computed by hand from these ledgers (see EXPECTED), not by
the code under test. As of 2026-06-15:

- lease 9001 (unit 1001, Maple Court): rent 1500, deposit 1500 paid; May rent partly paid, a late
  fee of 75.35 and June rent unpaid → balance 1575.35, oldest unpaid 2026-05-06 (40 days).
- lease 9002 (unit 1002): rent paid with a 200 concession credit; the 600 deposit charged but
  unpaid → balance 0, outstanding 600 (Buildium counts the unpaid deposit charge).
- lease 9003 (unit 2001, Oak House): moved out 2026-05-31; the 1200 deposit applied to the last
  rent and late fee (1050), the remaining 150 refunded → everything zero.
- lease 9004 (unit 2001): future lease, 800 prepaid → credit balance -800 (Buildium omits it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from wonder.sync.ports import Resource, SourcePage

AS_OF = date(2026, 6, 15)
T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

RENT, LATE_FEE, DEPOSIT, PREPAY, BANK, UNDEPOSITED = 1, 2, 3, 4, 10, 11


def gl(account_id: int, name: str, kind: str, sub: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": account_id,
        "AccountNumber": str(4000 + account_id),
        "Name": name,
        "Description": None,
        "Type": kind,
        "SubType": sub,
        "IsDefaultGLAccount": True,
        "DefaultAccountName": name,
        "IsContraAccount": False,
        "IsBankAccount": False,
        "CashFlowClassification": None,
        "ExcludeFromCashBalances": False,
        "SubAccounts": [],
        "IsActive": True,
        "ParentGLAccountId": None,
        **extra,
    }


GL_ACCOUNTS = [
    gl(RENT, "Rent Income", "Income", "Income"),
    gl(LATE_FEE, "Late Fee Income", "Income", "Income"),
    gl(DEPOSIT, "Security Deposit Liability", "Liability", "CurrentLiability"),
    gl(PREPAY, "Prepayments", "Liability", "CurrentLiability"),
    gl(
        BANK,
        "Operating Bank",
        "Asset",
        "CurrentAsset",
        IsBankAccount=True,
        SubAccounts=[
            gl(UNDEPOSITED, "Undeposited Funds", "Asset", "CurrentAsset", ParentGLAccountId=BANK)
        ],
    ),
]


def address(line1: str) -> dict[str, Any]:
    return {
        "AddressLine1": line1,
        "AddressLine2": None,
        "AddressLine3": None,
        "City": "Springfield",
        "State": "IL",
        "PostalCode": "62704",
        "Country": "UnitedStates",
    }


def rental(rental_id: int, name: str, units: int) -> dict[str, Any]:
    return {
        "Id": rental_id,
        "Name": name,
        "StructureDescription": None,
        "NumberUnits": units,
        "IsActive": True,
        "OperatingBankAccountId": BANK,
        "Reserve": 250.0,
        "Address": address(f"{rental_id} Main St"),
        "YearBuilt": 1962,
        "RentalType": "Residential",
        "RentalSubType": "MultiFamily",
        "RentalManager": None,
    }


def unit(unit_id: int, property_id: int, number: str, rent: float) -> dict[str, Any]:
    return {
        "Id": unit_id,
        "PropertyId": property_id,
        "BuildingName": None,
        "UnitNumber": number,
        "Description": None,
        "MarketRent": rent,
        "Address": address(f"{property_id} Main St #{number}"),
        "UnitBedrooms": "TwoBed",
        "UnitBathrooms": "OneBath",
        "UnitSize": 850,
        "IsUnitListed": False,
        "IsUnitOccupied": True,
    }


def owner(owner_id: int, first: str, last: str, property_ids: list[int]) -> dict[str, Any]:
    return {
        "Id": owner_id,
        "IsCompany": False,
        "IsActive": True,
        "FirstName": first,
        "LastName": last,
        "PhoneNumbers": [],
        "Email": f"{first.lower()}@example.com",
        "AlternateEmail": None,
        "Comment": None,
        "Address": address("1 Owner Way"),
        "ManagementAgreementStartDate": "2024-01-01",
        "ManagementAgreementEndDate": None,
        "CompanyName": None,
        "PropertyIds": property_ids,
        "TaxInformation": None,
    }


def tenant(tenant_id: int, first: str, last: str) -> dict[str, Any]:
    return {
        "Id": tenant_id,
        "FirstName": first,
        "LastName": last,
        "Email": f"{first.lower()}.{last.lower()}@example.com",
        "AlternateEmail": None,
        "PhoneNumbers": [{"Number": "555-0100", "Type": "Cell"}],
        "CreatedDateTime": "2026-01-05T10:00:00Z",
        "EmergencyContact": None,
        "DateOfBirth": None,
        "SMSOptInStatus": None,
        "Address": address("9 Tenant Rd"),
        "AlternateAddress": None,
        "MailingPreference": "PrimaryAddress",
        "Leases": None,
        "Comment": None,
        "TaxId": None,
    }


def lease(
    lease_id: int,
    unit_id: int,
    property_id: int,
    status: str,
    rent: float,
    deposit: float,
    tenants: list[dict[str, Any]],
    *,
    start: str,
    end: str | None,
    move_out: list[dict[str, Any]] | None = None,
    updated: str = "2026-06-01T09:00:00Z",
) -> dict[str, Any]:
    return {
        "Id": lease_id,
        "PropertyId": property_id,
        "UnitId": unit_id,
        "UnitNumber": str(unit_id),
        "LeaseFromDate": start,
        "LeaseToDate": end,
        "LeaseType": "Fixed",
        "LeaseStatus": status,
        "IsEvictionPending": False,
        "TermType": "Standard",
        "RenewalOfferStatus": None,
        "CurrentTenants": [],
        "CurrentNumberOfOccupants": sum(1 for t in tenants if t["Status"] == "Current"),
        "AccountDetails": {"SecurityDeposit": deposit, "Rent": rent},
        "Cosigners": [],
        "AutomaticallyMoveOutTenants": False,
        "CreatedDateTime": "2026-01-05T10:00:00Z",
        "LastUpdatedDateTime": updated,
        "MoveOutData": move_out or [],
        "PaymentDueDay": 1,
        "Tenants": tenants,
    }


def txn(
    txn_id: int, lease_id: int, when: str, kind: str, lines: list[tuple[int, float]]
) -> dict[str, Any]:
    """A LeaseTransactionMessage; ``lines`` are (GL account id, amount)."""
    names = {a["Id"]: a["Name"] for a in GL_ACCOUNTS}
    return {
        "Id": txn_id,
        "Date": when,
        "TransactionType": kind,
        "TransactionTypeEnum": kind,
        "TotalAmount": float(sum(Decimal(repr(amount)) for _, amount in lines)),
        "CheckNumber": None,
        "LeaseId": lease_id,
        "PayeeTenantId": None,
        "PaymentMethod": "Check" if kind == "Payment" else None,
        "Journal": {
            "Memo": f"{kind} {when}",
            "Lines": [
                {
                    "GLAccount": gl(account, names[account], "Income", "Income")
                    if account in (RENT, LATE_FEE)
                    else {"Id": account, "Name": names[account]},
                    "Amount": amount,
                    "IsCashPosting": False,
                    "ReferenceNumber": None,
                    "Memo": None,
                    "PropertyId": 100,
                    "UnitId": None,
                }
                for account, amount in lines
            ],
        },
    }


def current(tenant_id: int, move_in: str, status: str = "Current") -> dict[str, Any]:
    return {"Id": tenant_id, "Status": status, "MoveInDate": move_in}


def portfolio() -> dict[str, list[dict[str, Any]]]:
    return {
        Resource.RENTALS: [rental(100, "Maple Court", 2), rental(200, "Oak House", 1)],
        Resource.UNITS: [
            unit(1001, 100, "1A", 1500.0),
            unit(1002, 100, "1B", 1200.0),
            unit(2001, 200, "1", 1000.0),
        ],
        Resource.OWNERS: [owner(500, "Ada", "Ng", [100, 200]), owner(501, "Bo", "Li", [200])],
        Resource.TENANTS: [
            tenant(700, "Cara", "Diaz"),
            tenant(701, "Dev", "Patel"),
            tenant(702, "Eli", "Moss"),
            tenant(703, "Fay", "Ortiz"),
        ],
        Resource.LEASES: [
            lease(9001, 1001, 100, "Active", 1500.0, 1500.0, [current(700, "2026-04-01")],
                  start="2026-04-01", end="2027-03-31"),
            lease(9002, 1002, 100, "Active", 1200.0, 600.0, [current(701, "2026-05-01")],
                  start="2026-05-01", end="2027-04-30"),
            lease(9003, 2001, 200, "Past", 1000.0, 1200.0,
                  [current(702, "2026-03-01", "MovedOut")], start="2026-03-01", end="2026-05-31",
                  move_out=[{"TenantId": 702, "MoveOutDate": "2026-05-31",
                             "NoticeGivenDate": "2026-04-30"}]),
            lease(9004, 2001, 200, "Future", 1100.0, 0.0, [current(703, "2026-07-01", "Future")],
                  start="2026-07-01", end="2027-06-30"),
        ],
    }  # fmt: skip


LEDGERS: dict[int, list[dict[str, Any]]] = {
    9001: [
        txn(1, 9001, "2026-04-01", "Charge", [(RENT, 1500.0)]),
        txn(2, 9001, "2026-04-01", "Charge", [(DEPOSIT, 1500.0)]),
        txn(3, 9001, "2026-04-01", "Payment", [(RENT, 1500.0), (DEPOSIT, 1500.0)]),
        txn(4, 9001, "2026-05-01", "Charge", [(RENT, 1500.0)]),
        txn(5, 9001, "2026-05-03", "Payment", [(RENT, 1000.0)]),
        txn(6, 9001, "2026-05-06", "Charge", [(LATE_FEE, 75.35)]),
        txn(7, 9001, "2026-06-01", "Charge", [(RENT, 1500.0)]),
        txn(8, 9001, "2026-06-05", "Payment", [(RENT, 500.0)]),
    ],
    9002: [
        txn(11, 9002, "2026-05-01", "Charge", [(RENT, 1200.0)]),
        txn(12, 9002, "2026-05-01", "Charge", [(DEPOSIT, 600.0)]),
        txn(13, 9002, "2026-05-02", "Payment", [(RENT, 1200.0)]),
        txn(14, 9002, "2026-06-01", "Charge", [(RENT, 1200.0)]),
        txn(15, 9002, "2026-06-02", "Credit", [(RENT, 200.0)]),
        txn(16, 9002, "2026-06-03", "Payment", [(RENT, 1000.0)]),
    ],
    9003: [
        txn(21, 9003, "2026-03-01", "Charge", [(DEPOSIT, 1200.0)]),
        txn(22, 9003, "2026-03-01", "Payment", [(DEPOSIT, 1200.0)]),
        txn(23, 9003, "2026-05-01", "Charge", [(RENT, 1000.0)]),
        txn(24, 9003, "2026-05-06", "Charge", [(LATE_FEE, 50.0)]),
        txn(25, 9003, "2026-05-31", "ApplyDeposit", [(RENT, 1000.0), (LATE_FEE, 50.0)]),
        txn(26, 9003, "2026-06-02", "Refund", [(DEPOSIT, 150.0)]),
    ],
    9004: [txn(31, 9004, "2026-06-10", "Payment", [(PREPAY, 800.0)])],
}


def outstanding(lease_id: int, prop: int, unit_id: int, **amounts: float) -> dict[str, Any]:
    buckets = {
        "Balance0To30Days": amounts.get("d30", 0.0),
        "Balance31To60Days": amounts.get("d60", 0.0),
        "Balance61To90Days": 0.0,
        "BalanceOver90Days": 0.0,
    }
    return {
        "LeaseId": lease_id,
        "PropertyId": prop,
        "UnitId": unit_id,
        **buckets,
        "TotalBalance": float(sum(Decimal(repr(v)) for v in buckets.values())),
        "Balances": [
            {"GlAccountId": int(k[2:]), "TotalBalance": v}
            for k, v in amounts.items()
            if k.startswith("gl")
        ],
        "PastDueEmailSentDate": None,
        "EvictionPendingDate": None,
        "IsNoticeGiven": False,
    }


# Buildium's own report (leases with a zero or credit balance are not listed).
OUTSTANDING = [
    outstanding(9001, 100, 1001, d30=1500.0, d60=75.35, gl1=1500.0, gl2=75.35),
    outstanding(9002, 100, 1002, d60=600.0, gl3=600.0),
]

D = Decimal
# Hand-computed rows: (charges, payments, credits, balance, deposits held, deposit due,
# outstanding, days delinquent, oldest unpaid charge).
EXPECTED_LEASES = {
    9001: (D("4575.35"), D("3000.00"), D("0.00"), D("1575.35"), D("1500.00"), D("0.00"),
           D("1575.35"), 40, date(2026, 5, 6)),
    9002: (D("2400.00"), D("2200.00"), D("200.00"), D("0.00"), D("0.00"), D("600.00"),
           D("600.00"), 0, None),
    9003: (D("1050.00"), D("1050.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
           D("0.00"), 0, None),
    9004: (D("0.00"), D("800.00"), D("0.00"), D("-800.00"), D("0.00"), D("0.00"),
           D("-800.00"), 0, None),
}  # fmt: skip
EXPECTED_UNITS = {
    1001: EXPECTED_LEASES[9001],
    1002: EXPECTED_LEASES[9002],
    2001: (D("1050.00"), D("1850.00"), D("0.00"), D("-800.00"), D("0.00"), D("0.00"),
           D("-800.00"), 0, None),
}  # fmt: skip
EXPECTED_PROPERTIES = {
    100: (D("6975.35"), D("5200.00"), D("200.00"), D("1575.35"), D("1500.00"), D("600.00"),
          D("2175.35"), 40, date(2026, 5, 6)),
    200: EXPECTED_UNITS[2001],
}  # fmt: skip


@dataclass
class FakeBuildium:
    """The source port in memory: lists filtered by ``lastupdatedfrom`` (inclusive) against the
    time each record last changed, ordered by Id, paged by limit/offset."""

    clock: datetime = T0
    records: dict[Resource, dict[int, dict[str, Any]]] = field(default_factory=dict)
    updated: dict[tuple[Resource, int], datetime] = field(default_factory=dict)
    ledgers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    balances: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    list_calls: list[tuple[Resource, int, datetime | None]] = field(default_factory=list)
    ledger_calls: list[int] = field(default_factory=list)
    # When each lease's ledger last changed (a lease not listed: before any run).
    ledger_updated: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def seeded(cls) -> FakeBuildium:
        fake = cls(accounts=copy.deepcopy(GL_ACCOUNTS), balances=copy.deepcopy(OUTSTANDING))
        for resource, items in portfolio().items():
            for item in items:
                fake.put(Resource(resource), item, at=T0 - timedelta(days=30))
        fake.ledgers = copy.deepcopy(LEDGERS)
        return fake

    def put(
        self, resource: Resource, record: dict[str, Any], *, at: datetime | None = None
    ) -> None:
        self.records.setdefault(resource, {})[record["Id"]] = record
        self.updated[(resource, record["Id"])] = at or self.clock

    def remove(self, resource: Resource, record_id: int) -> None:
        del self.records[resource][record_id]

    def list_page(
        self, resource: Resource, *, offset: int, limit: int, updated_from: datetime | None
    ) -> SourcePage:
        self.requests += 1
        self.list_calls.append((resource, offset, updated_from))
        rows = [
            copy.deepcopy(r)
            for i, r in sorted(self.records.get(resource, {}).items())
            if updated_from is None or self.updated[(resource, i)] >= updated_from
        ]
        return SourcePage(rows[offset : offset + limit], len(rows), self.clock)

    def changed_ledgers(self, updated_from: datetime) -> SourcePage:
        self.requests += 1
        ids = sorted(i for i, at in self.ledger_updated.items() if at >= updated_from)
        return SourcePage(ids, len(ids), self.clock)

    def lease_transactions(self, lease_id: int) -> Sequence[Any]:
        self.requests += 1
        self.ledger_calls.append(lease_id)
        return copy.deepcopy(self.ledgers.get(lease_id, []))

    def outstanding_balances(self) -> Sequence[Any]:
        self.requests += 1
        return copy.deepcopy(self.balances)

    def gl_accounts(self) -> Sequence[Any]:
        self.requests += 1
        return copy.deepcopy(self.accounts)

    def gl_transaction(self, transaction_id: int) -> Mapping[str, Any] | None:
        self.requests += 1
        for lease_id, ledger in self.ledgers.items():
            for t in ledger:
                if t["Id"] == transaction_id:
                    return {
                        "Id": transaction_id,
                        "Date": t["Date"],
                        "TransactionType": t["TransactionType"],
                        "TotalAmount": t["TotalAmount"],
                        "UnitAgreement": {"Id": lease_id, "Type": "Lease", "Href": None},
                        "Journal": {"Memo": None, "Lines": []},
                    }
        return None

    def get_record(self, resource: Resource, record_id: int) -> Mapping[str, Any] | None:
        self.requests += 1
        found = self.records.get(resource, {}).get(record_id)
        return None if found is None else copy.deepcopy(found)

    @property
    def requests_made(self) -> int:
        return self.requests
