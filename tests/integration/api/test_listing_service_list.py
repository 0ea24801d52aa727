"""ListListings: AIP-160 filters, AIP-132 order, keyset pages (stable under inserts), tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import grpc.aio
import pytest

from tests.integration.api.conftest import (
    T0,
    ListingApi,
    MakeApi,
    field_violations,
    make_listing,
    seed,
)
from wonder.aip.pagetoken import PageTokenCodec
from wonder.db.models import Listing
from wonder.v1 import listing_pb2, listing_service_pb2

pb = listing_service_pb2


def catalogue() -> list[object]:
    """Eight listings that differ in every filterable field."""
    return [
        make_listing("A", list_price=Decimal("350000"), bedrooms_total=2, year_built=1950),
        make_listing("B", list_price=Decimal("750000"), bedrooms_total=4, living_area=3200.5),
        make_listing(
            "C",
            standard_status="Pending",
            list_price=Decimal("750000.01"),
            property_sub_type="Condominium",
            modification_timestamp=T0 + timedelta(days=2),
        ),
        make_listing(
            "D",
            city="Dallas",
            postal_code="75201",
            latitude=32.78,
            longitude=-96.8,
            list_agent_key="M7",
            list_office_key="O7",
        ),
        make_listing(
            "E",
            standard_status="Closed",
            list_price=None,
            bedrooms_total=None,
            city=None,
            latitude=None,
            longitude=None,
        ),
        make_listing(
            "F",
            property_sub_type="Townhouse",
            bathrooms_total=3,
            updated_at=T0 + timedelta(hours=1),
        ),
        make_listing("G", latitude=-33.9, longitude=151.2, city="Sydney", state_or_province="NSW"),
        make_listing("H", deleted_at=T0, standard_status="Delete"),
    ]


async def keys(
    api: ListingApi, filter: str = "", order_by: str = "", show_deleted: bool = False
) -> list[str]:
    request = pb.ListListingsRequest(
        page_size=100, filter=filter, order_by=order_by, show_deleted=show_deleted
    )
    page = await api.stub.ListListings(request, metadata=api.metadata)
    assert page.next_page_token == ""
    return [listing.listing_key for listing in page.listings]


FILTER_CASES = [
    ("", "ABCDEFG"),
    ('standard_status = "Active"', "ABDFG"),
    ("standard_status != Active", "CE"),
    ("list_price <= 750000", "ABDFG"),
    ("list_price > 750000", "C"),
    ("list_price >= 750000.01", "C"),
    ("bedrooms_total >= 3", "BCDFG"),
    ("bedrooms_total < 3", "A"),
    ("NOT bedrooms_total >= 3", "AE"),  # two-valued: unset fields are "not >= 3"
    ("living_area > 3000", "B"),
    ("year_built = 1950", "A"),
    ("bathrooms_total = 3", "F"),
    (
        'city = Austin AND property_sub_type = "Condominium" OR property_sub_type = Townhouse',
        "CF",
    ),
    ('(city = "Austin" AND property_sub_type = Condominium) OR city = Dallas', "CD"),
    ("postal_code = 75201", "D"),
    ('state_or_province = "NSW"', "G"),
    ('list_agent_key = "M7" AND list_office_key = O7', "D"),
    ('modification_time > "2024-05-02T00:00:00Z"', "C"),
    ('modification_timestamp <= "2024-05-01T12:00:00Z"', "ABDEFG"),
    (
        'update_time > "2024-05-01T13:30:00+01:00" AND update_time < "2024-05-01T14:00:00Z"',
        "F",
    ),
    ("within(30, -98, 31, -97)", "ABCF"),
    ("within(30, -98, 33, -96) AND NOT city = Austin", "D"),
    ("bbox(-34, 150, -33, 152)", "G"),
    ("within(-34, 150, 33, -96)", "ABCDFG"),  # west > east crosses the antimeridian
    ("NOT within(-90, -180, 90, 180)", "E"),
]


async def test_filters(api: ListingApi) -> None:
    seed(api.sessions, *catalogue())
    results = {f: "".join(await keys(api, filter=f)) for f, _ in FILTER_CASES}
    assert results == dict(FILTER_CASES)


async def test_show_deleted(api: ListingApi) -> None:
    seed(api.sessions, *catalogue())
    assert "".join(await keys(api, show_deleted=True)) == "ABCDEFGH"
    assert "".join(await keys(api, filter="standard_status = Delete", show_deleted=True)) == "H"


ORDER_CASES = [
    ("", "ABCDEFG"),
    ("listing_key desc", "GFEDCBA"),
    # Unset prices sort last ascending, first descending; ties broken by listing_key.
    ("list_price", "ADFGBCE"),
    ("list_price desc", "ECBDFGA"),
    ("list_price desc, bedrooms_total", "ECBDFGA"),
    ("modification_time desc, city", "CABFDGE"),
    ("city desc, listing_key desc", "EGDFCBA"),
]


async def test_order_by(api: ListingApi) -> None:
    seed(api.sessions, *catalogue())
    results = {o: "".join(await keys(api, order_by=o)) for o, _ in ORDER_CASES}
    assert results == dict(ORDER_CASES)


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ("price > 3", "unknown field 'price'"),
        ("bedrooms_total = three", "takes an integer"),
        ('city = "Austin" AND (', "expected a field name"),
        ("modification_time > 2024-01-01", "RFC 3339"),
    ],
)
async def test_filter_errors_are_bad_requests_on_filter(
    api: ListingApi, filter_: str, message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListings(pb.ListListingsRequest(filter=filter_), metadata=api.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violation = field_violations(caught.value)["filter"]
    assert message in violation
    assert "at character" in violation


async def test_bad_order_by_and_page_size(api: ListingApi) -> None:
    for request, field in (
        (pb.ListListingsRequest(order_by="price"), "order_by"),
        (pb.ListListingsRequest(page_size=-1), "page_size"),
        (pb.ListListingsRequest(view=7), "view"),  # type: ignore[arg-type]
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await api.stub.ListListings(request, metadata=api.metadata)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in field_violations(caught.value)


async def test_default_and_maximum_page_sizes(make_api: MakeApi) -> None:
    api = await make_api(default_page_size=3, max_page_size=5)
    seed(api.sessions, *(make_listing(f"K{i:02}") for i in range(8)))
    default = await api.stub.ListListings(pb.ListListingsRequest(), metadata=api.metadata)
    assert len(default.listings) == 3
    clamped = await api.stub.ListListings(
        pb.ListListingsRequest(page_size=1000), metadata=api.metadata
    )
    assert len(clamped.listings) == 5
    assert clamped.next_page_token


async def test_views(api: ListingApi) -> None:
    seed(api.sessions, make_listing("A", public_remarks="Big yard."))
    basic = await api.stub.ListListings(pb.ListListingsRequest(), metadata=api.metadata)
    assert basic.listings[0].public_remarks == ""
    full = await api.stub.ListListings(
        pb.ListListingsRequest(view=listing_pb2.LISTING_VIEW_FULL), metadata=api.metadata
    )
    assert full.listings[0].public_remarks == "Big yard."


async def read_all_inserting(
    api: ListingApi, page_size: int, order_by: str, make_batch: Callable[[int], list[Listing]]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Page through everything; after each non-final page, insert ``make_batch(page)``.

    Returns the keys seen and, for each inserted key, the last key seen when it was inserted.
    """
    seen: list[str] = []
    inserted: list[tuple[str, str]] = []
    token = ""
    for page_number in range(1, 100):
        page = await api.stub.ListListings(
            pb.ListListingsRequest(page_size=page_size, page_token=token, order_by=order_by),
            metadata=api.metadata,
        )
        seen += [listing.listing_key for listing in page.listings]
        token = page.next_page_token
        if not token:
            return seen, inserted
        batch = make_batch(page_number)
        seed(api.sessions, *batch)
        inserted += [(listing.listing_key, seen[-1]) for listing in batch]
    raise AssertionError("paging did not end")


@pytest.mark.parametrize(
    "order_by", ["", "list_price desc", "list_price", "modification_time desc, city"]
)
async def test_pages_stay_consistent_when_rows_are_inserted_between_them(
    api: ListingApi, order_by: str
) -> None:
    prices = [None, 100, 200, 200, None, 300, 50]
    originals = [
        make_listing(
            f"K{i:02}",
            list_price=None if price is None else Decimal(price),
            modification_timestamp=T0 + timedelta(minutes=i % 3),
        )
        for i, price in enumerate(prices)
    ]
    seed(api.sessions, *originals)

    def batch(page: int) -> list[Listing]:
        # Listings that sort everywhere: before, at and after the position reached.
        shapes = [("A", 1, 0), ("K03x", 200, 1), ("M", None, 2), ("Z", 999, 5)]
        return [
            make_listing(
                f"{prefix}{page}",
                list_price=None if price is None else Decimal(price),
                modification_timestamp=T0 + timedelta(minutes=minutes),
            )
            for prefix, price, minutes in shapes
        ]

    seen, inserted = await read_all_inserting(api, 2, order_by, batch)
    assert len(seen) == len(set(seen)), "a listing was returned twice"
    assert {listing.listing_key for listing in originals} <= set(seen)
    final_order = await keys(api, order_by=order_by)
    # The pages follow the requested order ...
    assert seen == [key for key in final_order if key in set(seen)]
    # ... and a listing inserted ahead of the position reached is returned, one behind it is not.
    for key, reached in inserted:
        ahead = final_order.index(key) > final_order.index(reached)
        assert (key in seen) == ahead, (key, reached)
    assert any(key not in seen for key, _ in inserted)
    assert any(key in seen for key, _ in inserted)


async def test_tampered_and_mismatched_page_tokens_are_invalid(api: ListingApi) -> None:
    seed(api.sessions, *(make_listing(f"K{i}") for i in range(5)))
    first = await api.stub.ListListings(
        pb.ListListingsRequest(
            page_size=2, filter="bedrooms_total = 3", order_by="list_price desc"
        ),
        metadata=api.metadata,
    )
    token = first.next_page_token
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[10] ^= 0x20
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    cases = [
        pb.ListListingsRequest(
            page_token=tampered, filter="bedrooms_total = 3", order_by="list_price desc"
        ),
        pb.ListListingsRequest(page_token="not-a-token"),
        pb.ListListingsRequest(
            page_token=token, filter="bedrooms_total = 4", order_by="list_price desc"
        ),
        pb.ListListingsRequest(page_token=token, filter="bedrooms_total = 3"),
        pb.ListListingsRequest(
            page_token=token,
            filter="bedrooms_total = 3",
            order_by="list_price desc",
            show_deleted=True,
        ),
    ]
    for request in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await api.stub.ListListings(request, metadata=api.metadata)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "page_token" in field_violations(caught.value)
    # Same query, spelled differently, and another page size: the token is still good.
    second = await api.stub.ListListings(
        pb.ListListingsRequest(
            page_size=10, page_token=token, filter="bedrooms_total=3", order_by="list_price  desc"
        ),
        metadata=api.metadata,
    )
    assert [listing.listing_key for listing in second.listings] == ["K2", "K3", "K4"]


async def test_a_page_token_with_an_altered_position_or_another_secret_is_refused(
    api: ListingApi,
) -> None:
    """The payload stays well-formed JSON: only the signature check can refuse these."""
    seed(api.sessions, *(make_listing(f"K{i}") for i in range(6)))
    first = await api.stub.ListListings(pb.ListListingsRequest(page_size=2), metadata=api.metadata)
    token = first.next_page_token
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    payload, tag = raw[:-16], raw[-16:]
    document = json.loads(payload)
    assert document["p"] == ["K1"]
    document["p"] = ["K3"]  # skip ahead: a forged position, same query fingerprint
    altered = json.dumps(document, separators=(",", ":")).encode() + tag
    other_secret = PageTokenCodec(b"not-the-server-secret").encode(document["q"], ["K3"])
    for forged in (base64.urlsafe_b64encode(altered).decode().rstrip("="), other_secret):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await api.stub.ListListings(
                pb.ListListingsRequest(page_size=2, page_token=forged), metadata=api.metadata
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "altered" in field_violations(caught.value)["page_token"]


async def test_an_expired_page_token_is_invalid_argument_saying_so(make_api: MakeApi) -> None:
    api = await make_api(page_token_ttl_seconds=3600)
    seed(api.sessions, *(make_listing(f"K{i}") for i in range(4)))
    first = await api.stub.ListListings(pb.ListListingsRequest(page_size=2), metadata=api.metadata)
    issued = datetime.now(UTC)
    api.deps.clock = lambda: issued + timedelta(minutes=59)
    again = await api.stub.ListListings(
        pb.ListListingsRequest(page_size=2, page_token=first.next_page_token),
        metadata=api.metadata,
    )
    assert [listing.listing_key for listing in again.listings] == ["K2", "K3"]
    api.deps.clock = lambda: issued + timedelta(hours=1, seconds=1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListings(
            pb.ListListingsRequest(page_size=2, page_token=first.next_page_token),
            metadata=api.metadata,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value)["page_token"] == (
        "the page token expired (tokens last 3,600 s); list again from the first page"
    )


@pytest.mark.parametrize(
    "text",
    [
        "list_price <= 499999.99",
        'modification_time >= "2024-05-01T05:00:00-07:00"',  # a UTC instant whatever the offset
        'standard_status != "Active"',  # an enumeration: IN (...) of every other value
    ],
)
async def test_the_basic_view_filters_exactly_as_the_full_view(api: ListingApi, text: str) -> None:
    """BASIC pages run in one round trip with the filter's values bound by hand; FULL pages
    through SQLAlchemy's execute. The same filter selects the same listings in both."""
    seed(
        api.sessions,
        make_listing("K1", list_price=Decimal("500000.00")),
        make_listing("K2", list_price=Decimal("499999.99")),
        make_listing("K3", modification_timestamp=datetime(2024, 5, 1, 13, 0, tzinfo=UTC)),
        make_listing("K4", standard_status="Pending"),
    )
    keys = {}
    for view in (listing_pb2.LISTING_VIEW_BASIC, listing_pb2.LISTING_VIEW_FULL):
        reply = await api.stub.ListListings(
            pb.ListListingsRequest(filter=text, view=view), metadata=api.metadata
        )
        keys[view] = [listing.listing_key for listing in reply.listings]
    assert keys[listing_pb2.LISTING_VIEW_BASIC] == keys[listing_pb2.LISTING_VIEW_FULL]
    assert keys[listing_pb2.LISTING_VIEW_BASIC]  # the filter selects something
