"""Pages sorted on the nullable list_price cross from the priced rows into the NULL partition.

The keyset seeks each partition on its own (wonder.db.keyset.seek_partitions); whatever page
size, every page boundary (inside the priced rows, at the last priced row, inside the NULLs) must
give each listing exactly once, in the order the seeded prices define.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.api.conftest import ListingApi, make_listing, seed
from wonder.v1 import listing_service_pb2

pb = listing_service_pb2

# Ties on a price and runs of NULLs, so positions land on every kind of boundary.
PRICES: list[int | None] = [None, 300, 100, None, 200, 200, None, 50, 300, None, None, 100, 75]


def expected_order(descending: bool) -> list[str]:
    """The order the seeded data defines: unset prices last ascending, first descending."""
    priced = sorted(
        ((price, f"N{i:02}") for i, price in enumerate(PRICES) if price is not None),
        key=lambda pair: pair,
        reverse=descending,
    )
    nulls = sorted(
        (f"N{i:02}" for i, price in enumerate(PRICES) if price is None), reverse=descending
    )
    keys = [key for _, key in priced]
    return nulls + keys if descending else keys + nulls


async def read_pages(api: ListingApi, order_by: str, page_size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    token = ""
    for _ in range(len(PRICES) + 2):  # bounded: a position that repeats must fail, not hang
        reply = await api.stub.ListListings(
            pb.ListListingsRequest(page_size=page_size, order_by=order_by, page_token=token),
            metadata=api.metadata,
        )
        pages.append([listing.listing_key for listing in reply.listings])
        token = reply.next_page_token
        if not token:
            return pages
    raise AssertionError(f"paging did not end: {pages}")


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize(
    ("order_by", "descending"),
    [("list_price", False), ("list_price desc", True), ("list_price desc, listing_key desc", True)],
)
async def test_pages_cross_the_null_partition_without_duplicates_or_gaps(
    api: ListingApi, order_by: str, descending: bool, page_size: int
) -> None:
    seed(
        api.sessions,
        *(
            make_listing(f"N{i:02}", list_price=None if price is None else Decimal(price))
            for i, price in enumerate(PRICES)
        ),
    )
    pages = await read_pages(api, order_by, page_size)
    seen = [key for page in pages for key in page]
    if order_by == "list_price desc":
        # The key tiebreaker stays ascending: the order is not uniform and is not split.
        priced = sorted(
            ((-price, f"N{i:02}") for i, price in enumerate(PRICES) if price is not None)
        )
        nulls = sorted(f"N{i:02}" for i, price in enumerate(PRICES) if price is None)
        assert seen == nulls + [key for _, key in priced]
    else:
        assert seen == expected_order(descending)
    assert all(len(page) == page_size for page in pages[:-1])
