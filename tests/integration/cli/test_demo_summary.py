"""The demo's summary names what it counts: not deleted vs Active, sale vs lease (rent)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from devstack.summary import database_summary
from tests.integration.api.conftest import T0, make_listing, seed


def test_the_counts_say_what_they_count(sessions: sessionmaker[Session], database_url: str) -> None:
    seed(
        sessions,
        make_listing("A", standard_status="Active"),
        make_listing("B", standard_status="Closed"),
        make_listing(
            "C",
            standard_status="Active",
            property_type="ResidentialLease",
            list_price=Decimal("2175.00"),
        ),
        make_listing("D", standard_status="Pending", property_type=None),
        make_listing("E", standard_status="Delete", deleted_at=T0),
    )
    summary = database_summary(database_url)
    assert summary.counts["listings not deleted (any standard_status)"] == 4
    assert summary.counts["listings deleted at the MLS (kept, delete_time)"] == 1
    assert summary.statuses == {"Active": 2, "Closed": 1, "Pending": 1}
    assert summary.kinds == {
        "for sale (list_price: asking price)": 2,
        "for lease (list_price: monthly rent)": 1,
        "property type unknown": 1,
    }
    lines = summary.lines()
    assert "  not deleted, by standard_status: Active 2, Closed 1, Pending 1" in lines
    assert any(line.startswith("  C  Active  $2,175/month") for line in lines)
