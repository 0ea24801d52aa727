from tests.integration.api.conftest import ListingApi, make_listing, seed
from wonder.v1 import listing_service_pb2


async def test_smoke(api: ListingApi) -> None:
    seed(api.sessions, make_listing("A1"))
    got = await api.stub.GetListing(
        listing_service_pb2.GetListingRequest(name="listings/A1"), metadata=api.metadata, timeout=10
    )
    assert got.listing_key == "A1"
    assert got.list_price.units == 500000
