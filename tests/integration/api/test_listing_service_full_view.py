"""The FULL view over several listings at once: each gets its own agent, office and media.

Listings are read with their agent and office in one query (outer joins) and the media of a
whole page in another; these cases pin that every listing gets exactly its own, including a
listing agent that is not stored and a listing with no agent, office or media.
"""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from tests.integration.api.conftest import T0, ListingApi, make_listing, seed
from wonder.db.models import ListingMedia, Member, Office
from wonder.v1 import listing_pb2, listing_service_pb2

pb = listing_service_pb2
FULL = listing_pb2.LISTING_VIEW_FULL


def seed_three(api: ListingApi) -> None:
    seed(
        api.sessions,
        *(
            Office(
                office_key=k, name=f"Office {k}", modification_timestamp=T0, raw={}, updated_at=T0
            )
            for k in ("O1", "O2")
        ),
        *(
            Member(
                member_key=k,
                full_name=f"Agent {k}",
                modification_timestamp=T0,
                raw={},
                updated_at=T0,
            )
            for k in ("M1", "M2")
        ),
        make_listing("L1", list_agent_key="M1", list_office_key="O2", public_remarks="One."),
        # An agent the ingest has not stored (yet): the reference stays, no details.
        make_listing("L2", list_agent_key="M-UNKNOWN", list_office_key="O1"),
        make_listing("L3"),
    )
    seed(
        api.sessions,
        *(
            ListingMedia(media_key=f"{listing}-{n}", listing_key=listing, order=n, raw={})
            for listing, count in (("L1", 3), ("L2", 1))
            for n in range(count, 0, -1)
        ),
    )


def summary(listing: listing_pb2.Listing) -> tuple[object, ...]:
    return (
        listing.listing_key,
        listing.list_agent,
        listing.list_agent_details.full_name if listing.HasField("list_agent_details") else None,
        listing.list_office,
        listing.list_office_details.display_name
        if listing.HasField("list_office_details")
        else None,
        [m.media_key for m in listing.media],
        listing.public_remarks,
    )


EXPECTED = {
    "L1": (
        "L1",
        "agents/M1",
        "Agent M1",
        "offices/O2",
        "Office O2",
        ["L1-1", "L1-2", "L1-3"],
        "One.",
    ),
    "L2": ("L2", "agents/M-UNKNOWN", None, "offices/O1", "Office O1", ["L2-1"], ""),
    "L3": ("L3", "", None, "", None, [], ""),
}


async def test_a_full_page_gives_each_listing_its_own_parties_and_media(api: ListingApi) -> None:
    seed_three(api)
    page = await api.stub.ListListings(
        pb.ListListingsRequest(view=FULL, order_by="listing_key"), metadata=api.metadata
    )
    assert [summary(listing) for listing in page.listings] == list(EXPECTED.values())


async def test_batch_get_full_view_of_several_listings(api: ListingApi) -> None:
    seed_three(api)
    got = await api.stub.BatchGetListings(
        pb.BatchGetListingsRequest(names=["listings/L3", "listings/L1", "listings/L2"]),
        metadata=api.metadata,
    )
    assert [summary(listing) for listing in got.listings] == [
        EXPECTED["L3"],
        EXPECTED["L1"],
        EXPECTED["L2"],
    ]


async def test_get_listing_full_view_without_parties_or_media(api: ListingApi) -> None:
    seed_three(api)
    for key in EXPECTED:
        got = await api.stub.GetListing(
            pb.GetListingRequest(name=f"listings/{key}"), metadata=api.metadata
        )
        assert summary(got) == EXPECTED[key]


async def test_embedded_parties_and_media_carry_every_stored_field(api: ListingApi) -> None:
    """Each embedded agent, office and photo field is the stored row's (the rows as seeded
    are the oracle), in Get, BatchGet and a FULL page alike."""
    later = T0 + timedelta(days=3, microseconds=250)
    seed(
        api.sessions,
        Office(
            office_key="OX",
            office_mls_id="MLS-OX",
            name="Office X",
            phone="555-0100",
            email="x@office.test",
            city="Austin",
            state_or_province="TX",
            postal_code="78701",
            status="Active",
            modification_timestamp=later,
            raw={},
            updated_at=T0,
        ),
        Member(
            member_key="MX",
            member_mls_id="MLS-MX",
            first_name="Ada",
            last_name="Lovelace",
            full_name="Ada Lovelace",
            email="ada@agent.test",
            phone="555-0199",
            office_key="OX",
            status="Active",
            modification_timestamp=later,
            raw={},
            updated_at=T0,
        ),
        make_listing("LX", list_agent_key="MX", list_office_key="OX"),
    )
    seed(
        api.sessions,
        ListingMedia(
            media_key="LX-1",
            listing_key="LX",
            order=1,
            media_url="https://media.test/LX-1.jpg",
            media_category="Photo",
            mime_type="image/jpeg",
            short_description="Front",
            image_width=1024,
            image_height=768,
            modification_timestamp=later,
            raw={},
        ),
    )
    stamp = Timestamp()
    stamp.FromDatetime(later)
    expected_agent = listing_pb2.Agent(
        name="agents/MX",
        member_key="MX",
        member_mls_id="MLS-MX",
        first_name="Ada",
        last_name="Lovelace",
        full_name="Ada Lovelace",
        email="ada@agent.test",
        phone="555-0199",
        office="offices/OX",
        status="Active",
        modification_time=stamp,
    )
    expected_office = listing_pb2.Office(
        name="offices/OX",
        office_key="OX",
        office_mls_id="MLS-OX",
        display_name="Office X",
        phone="555-0100",
        email="x@office.test",
        city="Austin",
        state_or_province="TX",
        postal_code="78701",
        status="Active",
        modification_time=stamp,
    )
    expected_media = listing_pb2.ListingMedia(
        name="listings/LX/media/LX-1",
        media_key="LX-1",
        order=1,
        media_url="https://media.test/LX-1.jpg",
        media_category="Photo",
        mime_type="image/jpeg",
        short_description="Front",
        image_width=1024,
        image_height=768,
        modification_time=stamp,
    )
    got = await api.stub.GetListing(pb.GetListingRequest(name="listings/LX"), metadata=api.metadata)
    batch = await api.stub.BatchGetListings(
        pb.BatchGetListingsRequest(names=["listings/LX"]), metadata=api.metadata
    )
    page = await api.stub.ListListings(
        pb.ListListingsRequest(view=FULL, filter='list_agent_key = "MX"'), metadata=api.metadata
    )
    for listing in (got, batch.listings[0], page.listings[0]):
        details = listing.list_agent_details, listing.list_office_details
        # update_time is the server's own bookkeeping: compared for presence only.
        assert all(part.HasField("update_time") for part in details)
        for part in details:
            part.ClearField("update_time")
        assert details == (expected_agent, expected_office)
        assert list(listing.media) == [expected_media]
