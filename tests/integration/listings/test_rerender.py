"""`wonder listings render` stores the messages of rows written without them, and never over a
row the ingest wrote since it read it. SQLite and PostgreSQL; the rows come from the sandbox.

The oracle for the rendered bytes is what the ingest stored for the same rows before they were
wiped (the API tests in ``tests/integration/api/test_stored_messages.py`` hold both to the
columns).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.sandbox_checks import trestle_client
from tests.trestle_fixtures import RunningTrestle
from wonder.db.models import Listing, ListingMedia
from wonder.db.uow import unit_of_work
from wonder.listings import repository, service
from wonder.listings.api_version import RENDER_VERSION
from wonder.listings.cli import main
from wonder.settings import ListingIngestSettings
from wonder.v1 import listing_pb2

WIPED = {"api_basic": None, "api_seq": None, "api_version": None}


Stored = tuple[dict[str, tuple[Any, bool]], dict[str, tuple[Any, bool]]]


def stored(sessions: sessionmaker[Session]) -> Stored:
    """The stored messages, parsed (and whether current): listings and photos by key."""
    with sessions() as session:
        listings = {
            key: (
                listing_pb2.Listing.FromString(basic) if basic is not None else None,
                seq == change_seq and version == RENDER_VERSION,
            )
            for key, basic, seq, change_seq, version in session.execute(
                select(
                    Listing.listing_key,
                    Listing.api_basic,
                    Listing.api_seq,
                    Listing.change_seq,
                    Listing.api_version,
                )
            )
        }
        media = {
            key: (
                listing_pb2.ListingMedia.FromString(message) if message is not None else None,
                version == RENDER_VERSION,
            )
            for key, message, version in session.execute(
                select(ListingMedia.media_key, ListingMedia.api_message, ListingMedia.api_version)
            )
        }
    return listings, media


def load(sessions: sessionmaker[Session], running: RunningTrestle) -> None:
    with trestle_client(running, page_size=10) as client:
        service.first_load(client, sessions, ListingIngestSettings())


def wipe(sessions: sessionmaker[Session]) -> None:
    """Rows as a release before migration 0008 left them."""
    with unit_of_work(sessions) as session:
        session.execute(update(Listing).values(**WIPED))
        session.execute(update(ListingMedia).values(api_message=None, api_version=None))


def test_render_stores_what_the_ingest_would_have(
    sessions: sessionmaker[Session],
    database_url: str,
    make_trestle_sandbox: Callable[..., RunningTrestle],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    load(sessions, make_trestle_sandbox(listings=25, seed=4))
    listings, media = stored(sessions)
    assert listings
    assert media
    assert all(current for _, current in listings.values())
    wipe(sessions)

    monkeypatch.setenv("WONDER_DATABASE_URL", database_url)
    assert main(["render", "--batch", "7"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"rendered {len(listings)} listings and {len(media)} photos"
    )
    assert stored(sessions) == (listings, media)

    # Nothing left to render: a second run writes nothing.
    assert main(["render"]) == 0
    assert capsys.readouterr().out.strip() == "rendered 0 listings and 0 photos"


def test_render_leaves_a_row_written_since_it_was_read(
    sessions: sessionmaker[Session], make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    load(sessions, make_trestle_sandbox(listings=5, seed=2))
    wipe(sessions)
    with unit_of_work(sessions) as session:
        rows = repository.listings_not_current(session, "", 10)
        photos = repository.media_not_current(session, "", 10)
    assert len(rows) == 5
    assert photos
    with unit_of_work(sessions) as session:
        # The ingest writes one listing (change_seq moves on) and replaces one photo meanwhile.
        session.execute(
            update(Listing)
            .where(Listing.listing_key == rows[0]["listing_key"])
            .values(change_seq=Listing.change_seq + 1)
        )
        session.execute(
            update(ListingMedia)
            .where(ListingMedia.media_key == photos[0].media_key)
            .values(api_message=b"the ingest's", api_version=RENDER_VERSION)
        )
    with unit_of_work(sessions) as session:
        late = [(row["listing_key"], row["change_seq"], b"late") for row in rows[:2]]
        assert repository.store_listing_messages(session, late) == 1  # rows[1] only
        assert repository.store_media_messages(session, [(photos[0].media_key, b"late")]) == 0
    with sessions() as session:
        listing = session.get(Listing, rows[0]["listing_key"])
        assert listing is not None
        assert listing.api_basic is None
        photo = session.get(ListingMedia, photos[0].media_key)
        assert photo is not None
        assert photo.api_message == b"the ingest's"
        assert session.scalar(select(func.count()).where(Listing.api_basic == b"late")) == 1


def test_render_refuses_a_batch_below_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WONDER_DATABASE_URL", database_url)
    assert main(["render", "--batch", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --batch must be at least 1"
