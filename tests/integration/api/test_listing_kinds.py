"""Enumerated filters and sale vs lease over real gRPC, on SQLite and PostgreSQL.

A value outside a field's values is INVALID_ARGUMENT listing them (the RESO values come from
the sandbox's $metadata, not from our catalogue); ``transaction_type`` tells leases (whose
``list_price`` is a rent) from sales, in the messages and in filters.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
import grpc.aio
import pytest

from tests.integration.api.conftest import ListingApi, field_violations, make_listing, seed
from tests.trestle_fixtures import mock_trestle, reso_standard_names
from wonder.listings import service
from wonder.settings import ListingIngestSettings
from wonder.v1 import listing_pb2
from wonder.v1 import listing_service_pb2 as pb

STATUSES = sorted(reso_standard_names("StandardStatus").values())
PROPERTY_TYPES = sorted(reso_standard_names("PropertyType").values())


async def keys(api: ListingApi, filter: str) -> str:
    page = await api.stub.ListListings(
        pb.ListListingsRequest(page_size=1000, filter=filter), metadata=api.metadata
    )
    assert page.next_page_token == ""
    return "".join(sorted(listing.listing_key for listing in page.listings))


async def refused(api: ListingApi, filter: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.ListListings(pb.ListListingsRequest(filter=filter), metadata=api.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return caught.value


def names_each(text: str, values: Iterable[str]) -> list[str]:
    return [value for value in values if f'"{value}"' not in text]


@pytest.mark.parametrize(
    ("filter", "valid", "position"),
    [
        ('standard_status = "Bogus"', STATUSES, 19),
        ("list_price > 1 AND standard_status != active", STATUSES, 39),
        ("property_type = Condo", PROPERTY_TYPES, 17),
        ("transaction_type = RENT", ["SALE", "LEASE"], 20),
        ('standard_status >= "Active"', STATUSES, 20),
    ],
)
async def test_a_value_outside_an_enumerated_field_lists_the_valid_values(
    api: ListingApi, filter: str, valid: list[str], position: int
) -> None:
    seed(api.sessions, make_listing("A"))
    error = await refused(api, filter)
    violation = field_violations(error)["filter"]
    assert names_each(violation, valid) == []
    assert f"(at character {position})" in violation
    # Tools show the BadRequest detail as base64: the status message says it all too.
    message = error.details() or ""
    assert message.startswith("invalid filter: ")
    assert names_each(message, valid) == []
    assert f"(at character {position})" in message


def kinds() -> list[object]:
    """One listing per way a property type can be stored."""
    return [
        make_listing("A", property_type="Residential"),
        make_listing("B", property_type="ResidentialLease"),  # RESO member name (the sandbox)
        make_listing("C", property_type="Residential Lease"),  # RESO display name
        make_listing("D", property_type="CommercialLease"),
        make_listing("E", property_type="Land"),
        make_listing("F", property_type="Mobile Home Park"),  # an MLS's local value
        make_listing("G", property_type=None),
    ]


KIND_FILTERS = [
    ("transaction_type = LEASE", "BCD"),
    ("transaction_type = TRANSACTION_TYPE_LEASE", "BCD"),
    ('transaction_type = "SALE"', "AE"),
    # Unknown and unset property types have no transaction type: they match neither.
    ("transaction_type != LEASE", "AE"),
    ("NOT transaction_type = LEASE", "AEFG"),
    ('property_type = "Residential Lease"', "BC"),
    ("property_type = ResidentialLease", "BC"),
    ('property_type != "Residential"', "BCDE"),
    ("transaction_type = LEASE AND property_type = CommercialLease", "D"),
]


async def test_sale_and_lease_are_told_apart_whatever_the_spelling(api: ListingApi) -> None:
    seed(api.sessions, *kinds())
    results = {text: await keys(api, text) for text, _ in KIND_FILTERS}
    assert results == dict(KIND_FILTERS)


async def test_listings_carry_their_property_type_name_and_transaction_type(
    api: ListingApi,
) -> None:
    seed(api.sessions, *kinds())
    got = await api.stub.BatchGetListings(
        pb.BatchGetListingsRequest(names=[f"listings/{key}" for key in "ABCDEFG"]),
        metadata=api.metadata,
    )
    sale, lease, unknown = (
        listing_pb2.TRANSACTION_TYPE_SALE,
        listing_pb2.TRANSACTION_TYPE_LEASE,
        listing_pb2.TRANSACTION_TYPE_UNSPECIFIED,
    )
    assert [(m.property_type, m.transaction_type) for m in got.listings] == [
        ("Residential", sale),
        ("Residential Lease", lease),
        ("Residential Lease", lease),
        ("Commercial Lease", lease),
        ("Land", sale),
        ("Mobile Home Park", unknown),
        ("", unknown),
    ]


async def test_the_sandbox_leases_are_the_lease_listings_of_the_api(api: ListingApi) -> None:
    trestle = mock_trestle(listings=80, seed=5)
    truth = trestle.sandbox.truth()
    lease_names = {
        member
        for member, name in reso_standard_names("PropertyType").items()
        if name.endswith(" Lease")
    }
    with trestle.client(page_size=50) as client:
        service.first_load(client, api.sessions, ListingIngestSettings())
    leases = {key for key, record in truth.items() if record["PropertyType"] in lease_names}
    assert leases, "the sandbox seeds lease listings"
    assert await keys(api, "transaction_type = LEASE") == "".join(sorted(leases))
    assert await keys(api, "transaction_type = SALE") == "".join(sorted(set(truth) - leases))
