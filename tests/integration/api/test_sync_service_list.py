"""SyncService's lists on both databases over real gRPC, from rows seeded directly: every
filter field, every order with ties and unset values paged by keyset, signed page tokens."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import grpc.aio
import pytest

from tests.integration.api.conftest import field_violations, seed
from tests.integration.api.sync_support import SyncApi, amount, sync_api
from wonder.db.enums import BalanceScope, LeaseStatus
from wonder.db.models import BalanceSheetRow, BuildiumLease
from wonder.v1 import sync_pb2
from wonder.v1 import sync_service_pb2 as pb

__all__ = ["sync_api"]

T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
D = Decimal
LEASE = sync_pb2.BALANCE_SCOPE_LEASE

# (entity_id, property_id, unit_id, days_delinquent, balance, outstanding): ties on every
# sortable column, unset unit ids, cents that a float would lose.
ROWS: list[tuple[int, int, int | None, int, Decimal, Decimal]] = [
    (1, 10, 100, 40, D("1575.35"), D("1575.35")),
    (2, 10, 101, 0, D("0.00"), D("600.00")),
    (3, 20, None, 40, D("0.10"), D("0.30")),
    (4, 20, 200, 12, D("-800.00"), D("-800.00")),
    (5, 10, None, 0, D("0.20"), D("0.20")),
    (6, 30, 300, 12, D("1575.35"), D("1575.36")),
    (7, 30, 100, 40, D("999999999.99"), D("999999999.99")),
]


def balance_row(entity: int, prop: int, unit: int | None, days: int, bal: D, out: D) -> Any:
    return BalanceSheetRow(
        scope=BalanceScope.LEASE, entity_id=entity, property_id=prop, unit_id=unit,
        lease_id=entity, as_of=date(2026, 6, 15), charges=bal + D("1.01"), payments=D("1.01"),
        credits=D("0.00"), balance=bal, deposits_held=D("0.00"), deposit_due=out - bal,
        outstanding=out, days_delinquent=days, oldest_unpaid_charge=None, row_hash="h",
        computed_at=T0,
    )  # fmt: skip


# (id, property_id, unit_id, status, rent, last_updated_at, deleted)
LEASES: list[tuple[int, int, int, LeaseStatus, Decimal | None, datetime | None, bool]] = [
    (9001, 10, 100, LeaseStatus.ACTIVE, D("1500.00"), T0, False),
    (9002, 10, 101, LeaseStatus.ACTIVE, None, None, False),
    (9003, 20, 200, LeaseStatus.PAST, D("1500.00"), T0 - timedelta(days=1), False),
    (9004, 20, 200, LeaseStatus.FUTURE, D("0.01"), T0, False),
    (9005, 30, 300, LeaseStatus.ACTIVE, None, T0 + timedelta(seconds=1), False),
    (9006, 30, 300, LeaseStatus.PAST, D("2000.10"), None, True),
]


def lease_row(
    lid: int,
    prop: int,
    unit: int,
    status: LeaseStatus,
    rent: D | None,
    updated: datetime | None,
    deleted: bool,
) -> Any:
    return BuildiumLease(
        id=lid, property_id=prop, unit_id=unit, unit_number=str(unit), status=status,
        lease_type="Fixed", rent=rent, security_deposit=D("500.05"), last_updated_at=updated,
        raw={"Id": lid}, content_hash="h", first_seen_at=T0, last_seen_at=T0,
        deleted_at=T0 if deleted else None, ledger_pending=False,
    )  # fmt: skip


@pytest.fixture
def seeded(sync_api: SyncApi) -> SyncApi:
    seed(sync_api.sessions, *(balance_row(*r) for r in ROWS), *(lease_row(*r) for r in LEASES))
    return sync_api


class _Reversed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)


def reference_order(
    items: list[Any], key: Callable[[Any], Any], tiebreak: Callable[[Any], int], desc: bool
) -> list[int]:
    """Unset sorts last ascending, first descending; ties by the id ascending."""
    present = [i for i in items if key(i) is not None]
    unset = sorted((i for i in items if key(i) is None), key=tiebreak)
    by_id = sorted(present, key=tiebreak)
    # Sorting is stable, so ties keep id order; reversing a stable sort would not.
    ordered = sorted(by_id, key=lambda i: _Reversed(key(i)) if desc else key(i))
    result = unset + ordered if desc else ordered + unset
    return [tiebreak(i) for i in result]


async def all_rows(api: SyncApi, page_size: int, **request: Any) -> list[int]:
    ids: list[int] = []
    token = ""
    for _ in range(50):
        page = await api.call(
            "ListBalanceSheetRows",
            pb.ListBalanceSheetRowsRequest(
                scope=LEASE, page_size=page_size, page_token=token, **request
            ),
        )
        ids.extend(int(row.entity.split("/")[1]) for row in page.rows)
        token = page.next_page_token
        if not token:
            return ids
    raise AssertionError("paging did not end")


async def all_leases(api: SyncApi, page_size: int, **request: Any) -> list[int]:
    ids: list[int] = []
    token = ""
    for _ in range(50):
        page = await api.call(
            "ListLeases", pb.ListLeasesRequest(page_size=page_size, page_token=token, **request)
        )
        ids.extend(int(lease.name.split("/")[1]) for lease in page.leases)
        token = page.next_page_token
        if not token:
            return ids
    raise AssertionError("paging did not end")


ROW_COLUMNS = {"property_id": 1, "unit_id": 2, "days_delinquent": 3, "balance": 4,
               "outstanding": 5}  # fmt: skip


@pytest.mark.parametrize("field", sorted(ROW_COLUMNS))
@pytest.mark.parametrize("desc", [False, True])
async def test_balance_rows_page_in_every_order_with_ties_and_unset_values(
    seeded: SyncApi, field: str, desc: bool
) -> None:
    column = ROW_COLUMNS[field]
    expected = reference_order(ROWS, lambda r: r[column], lambda r: r[0], desc)
    order_by = f"{field} desc" if desc else field
    for page_size in (1, 2, 3):
        assert await all_rows(seeded, page_size, order_by=order_by) == expected, page_size


ROW_FILTERS: list[tuple[str, Callable[[Any], bool]]] = [
    ("days_delinquent >= 12", lambda r: r[3] >= 12),
    ("days_delinquent = 0", lambda r: r[3] == 0),
    ("balance > 0.10", lambda r: r[4] > D("0.10")),
    ("balance = 1575.35", lambda r: r[4] == D("1575.35")),
    ("outstanding < 0", lambda r: r[5] < 0),
    ("outstanding = 1575.36", lambda r: r[5] == D("1575.36")),
    ("outstanding >= 999999999.99", lambda r: r[5] >= D("999999999.99")),
    ("property_id = 10", lambda r: r[1] == 10),
    ("unit_id = 100", lambda r: r[2] == 100),
    ("unit_id != 100", lambda r: r[2] is not None and r[2] != 100),
    ("NOT unit_id = 100", lambda r: r[2] != 100),
    ("charges = 1576.36", lambda r: r[4] + D("1.01") == D("1576.36")),
    ("deposit_due = 0.01", lambda r: r[5] - r[4] == D("0.01")),
    ("days_delinquent >= 12 AND property_id = 30", lambda r: r[3] >= 12 and r[1] == 30),
]


@pytest.mark.parametrize(("text", "predicate"), ROW_FILTERS, ids=[f for f, _ in ROW_FILTERS])
async def test_every_balance_row_filter_field(
    seeded: SyncApi, text: str, predicate: Callable[[Any], bool]
) -> None:
    expected = sorted(r[0] for r in ROWS if predicate(r))
    assert await all_rows(seeded, 2, filter=text) == expected


async def test_balance_rows_are_exact_to_the_cent_and_one_scope_at_a_time(seeded: SyncApi) -> None:
    page = await seeded.call(
        "ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(scope=LEASE, order_by="balance desc")
    )
    top = page.rows[0]
    assert amount(top.figures.balance) == D("999999999.99")
    assert (top.figures.balance.units, top.figures.balance.nanos) == (999999999, 990000000)
    negative = next(r for r in page.rows if r.entity == "leases/4")
    assert (negative.figures.balance.units, negative.figures.balance.nanos) == (-800, 0)
    small = next(r for r in page.rows if r.entity == "leases/3")
    assert (small.figures.outstanding.units, small.figures.outstanding.nanos) == (0, 300000000)
    other = await seeded.call(
        "ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(scope=sync_pb2.BALANCE_SCOPE_UNIT)
    )
    assert list(other.rows) == []
    with pytest.raises(grpc.aio.AioRpcError) as missing_scope:
        await seeded.call("ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest())
    assert missing_scope.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "scope" in field_violations(missing_scope.value)


LEASE_COLUMNS = {"property_id": 1, "unit_id": 2, "rent": 4, "last_update_time": 5}


@pytest.mark.parametrize("field", sorted(LEASE_COLUMNS))
@pytest.mark.parametrize("desc", [False, True])
async def test_leases_page_in_every_order_with_ties_and_unset_values(
    seeded: SyncApi, field: str, desc: bool
) -> None:
    column = LEASE_COLUMNS[field]
    live = [lease for lease in LEASES if not lease[6]]
    expected = reference_order(live, lambda r: r[column], lambda r: r[0], desc)
    order_by = f"{field} desc" if desc else field
    for page_size in (1, 2):
        assert await all_leases(seeded, page_size, order_by=order_by) == expected


LEASE_FILTERS: list[tuple[str, Callable[[Any], bool]]] = [
    ("status = Active", lambda r: r[3] is LeaseStatus.ACTIVE),
    ('status != "Past"', lambda r: r[3] is not LeaseStatus.PAST),
    ("property_id = 20", lambda r: r[1] == 20),
    ("unit_id >= 200", lambda r: r[2] >= 200),
    ("rent = 1500", lambda r: r[4] == D("1500")),
    ("rent < 0.02", lambda r: r[4] is not None and r[4] < D("0.02")),
    ('last_update_time > "2026-06-15T12:00:00Z"', lambda r: r[5] is not None and r[5] > T0),
    ('last_update_time <= "2026-06-15T12:00:00Z"', lambda r: r[5] is not None and r[5] <= T0),
]


@pytest.mark.parametrize(("text", "predicate"), LEASE_FILTERS, ids=[f for f, _ in LEASE_FILTERS])
async def test_every_lease_filter_field(
    seeded: SyncApi, text: str, predicate: Callable[[Any], bool]
) -> None:
    expected = sorted(r[0] for r in LEASES if not r[6] and predicate(r))
    assert await all_leases(seeded, 2, filter=text) == expected
    with_deleted = sorted(r[0] for r in LEASES if predicate(r))
    assert await all_leases(seeded, 2, filter=text, show_deleted=True) == with_deleted


async def test_a_bad_filter_or_order_names_the_field(seeded: SyncApi) -> None:
    for request, field in (
        (pb.ListLeasesRequest(filter="status = Evicted"), "filter"),
        (pb.ListLeasesRequest(filter="rent > cheap"), "filter"),
        (pb.ListLeasesRequest(order_by="tenant_name"), "order_by"),
        (pb.ListLeasesRequest(page_size=-1), "page_size"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await seeded.call("ListLeases", request)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in field_violations(bad.value)


def tampered(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


async def test_page_tokens_are_signed_and_bound_to_their_query(seeded: SyncApi) -> None:
    first = await seeded.call(
        "ListBalanceSheetRows",
        pb.ListBalanceSheetRowsRequest(scope=LEASE, page_size=2, order_by="balance"),
    )
    token = first.next_page_token
    assert token
    lease_page = await seeded.call("ListLeases", pb.ListLeasesRequest(page_size=1))
    ledger_page = pb.ListLedgerEntriesRequest(parent="leases/9001", page_token=token)
    refused: list[tuple[str, Any]] = [
        ("ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(
            scope=LEASE, order_by="balance", page_token=tampered(token))),
        ("ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(
            scope=LEASE, order_by="outstanding", page_token=token)),
        ("ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(
            scope=sync_pb2.BALANCE_SCOPE_UNIT, order_by="balance", page_token=token)),
        ("ListBalanceSheetRows", pb.ListBalanceSheetRowsRequest(
            scope=LEASE, order_by="balance", filter="balance > 0", page_token=token)),
        ("ListLeases", pb.ListLeasesRequest(page_token=token)),
        ("ListLeases", pb.ListLeasesRequest(
            page_token=lease_page.next_page_token, show_deleted=True)),
        ("ListLedgerEntries", ledger_page),
    ]  # fmt: skip
    for method, request in refused:
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await seeded.call(method, request)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, request)
        assert "page_token" in field_violations(bad.value)
    # A token is valid with another page size.
    again = await seeded.call(
        "ListBalanceSheetRows",
        pb.ListBalanceSheetRowsRequest(
            scope=LEASE, page_size=5, order_by="balance", page_token=token
        ),
    )
    assert len(again.rows) == len(ROWS) - 2
