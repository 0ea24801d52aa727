"""The migrations build exactly the listing indexes the models declare, both ways."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from wonder.db.base import Base
from wonder.db.migrate import downgrade, upgrade
from wonder.db.models import Listing


def listing_indexes(engine: Engine) -> dict[str | None, list[str | None]]:
    return {
        index["name"]: index["column_names"] for index in inspect(engine).get_indexes("listings")
    }


def test_migrated_listing_indexes_match_the_model(engine: Engine) -> None:
    table = Base.metadata.tables[Listing.__tablename__]
    declared = {str(index.name): [c.name for c in index.columns] for index in table.indexes}
    assert listing_indexes(engine) == declared
    keyset = declared["ix_listings_status_price_key"]
    assert keyset == ["standard_status", "list_price", "listing_key"]


def test_status_price_key_index_downgrades_and_upgrades(database_url: str, engine: Engine) -> None:
    downgrade(database_url, "0001")
    indexes = listing_indexes(engine)
    assert indexes["ix_listings_status_price"] == ["standard_status", "list_price"]
    assert "ix_listings_status_price_key" not in indexes
    upgrade(database_url)
    assert "ix_listings_status_price" not in listing_indexes(engine)
    assert "ix_listings_status_price_key" in listing_indexes(engine)
