"""listings: (standard_status, list_price, listing_key) index for the API's keyset pages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:50:00.000000

Replaces ix_listings_status_price (standard_status, list_price): with listing_key, the keyset
tiebreak of every ListListings order, the typical query (a status, a price bound, ordered by
price) reads its page straight from the index, with no sort and no rows filtered out. The old
index is its prefix, so it served nothing the new one does not.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listings_status_price_key",
            ["standard_status", "list_price", "listing_key"],
            unique=False,
        )
        batch_op.drop_index("ix_listings_status_price")


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listings_status_price", ["standard_status", "list_price"], unique=False
        )
        batch_op.drop_index("ix_listings_status_price_key")
