"""Listings generated inside PostgreSQL, for running the gRPC benchmarks without the ingest.

A listing's photos are stored together, as the ingest writes them (one page of listings with
their media at a time); without ORDER BY PostgreSQL spread each listing's 12 photos over 12
heap pages, so every FULL read cost 12 random page reads the real table does not.

The shape follows the Trestle sandbox (≈12 photos per listing, a few hundred agents and offices,
statuses weighted towards Active, prices from 100k to 2.5M) so queries select similar shares;
one ``INSERT ... SELECT generate_series`` per table loads 100k listings in seconds. The API
messages the ingest stores with each row are then rendered as an upgraded database gets them.
"""

from __future__ import annotations

import psycopg

from bench.support import ScratchDatabase

MEDIA_PER_LISTING = 12
KEY_BASE = 100_000_000

_LISTINGS = """
INSERT INTO listings (
    listing_key, listing_id, standard_status, property_type, property_sub_type, list_price,
    bedrooms_total, bathrooms_total, living_area, year_built, unparsed_address, city,
    state_or_province, postal_code, country, latitude, longitude, public_remarks,
    list_agent_key, list_office_key, photos_count, photos_change_timestamp,
    media_synced_timestamp, modification_timestamp, raw, first_seen_at, updated_at, change_seq)
SELECT
    (%(base)s + i)::text, 'MLS' || i,
    (ARRAY['Active','Active','Active','Active','Pending','Closed','Closed','Expired',
           'Withdrawn','Active Under Contract'])[1 + (hashint %% 10)],
    'Residential', (ARRAY['Single Family Residence','Condominium','Townhouse'])[1 + (hashint %% 3)],
    round((100000 + (hashint %% 2400000))::numeric, -3),
    1 + hashint %% 6, 1 + hashint %% 4, 600 + hashint %% 4000, 1920 + hashint %% 104,
    i || ' Main St', (ARRAY['Austin','Dallas','Houston','San Antonio','El Paso'])[1 + hashint %% 5],
    'TX', (78701 + hashint %% 90)::text, 'US',
    30 + (hashint %% 1000) / 1000.0, -97 - (hashint %% 1000) / 1000.0,
    'A generated listing for the benchmarks.',
    'M' || (hashint %% 600), 'O' || (hashint %% 80), %(media)s,
    now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval,
    now() - (i || ' seconds')::interval,
    jsonb_build_object('ListingKey', (%(base)s + i)::text), now(), now(), i
FROM (SELECT i, abs(hashtext(i::text)) AS hashint FROM generate_series(1, %(n)s) AS i) AS g
"""

_MEDIA = """
INSERT INTO listing_media (
    media_key, listing_key, media_order, media_url, media_category, mime_type,
    short_description, image_width, image_height, modification_timestamp, raw)
SELECT
    (%(base)s + i)::text || '-' || m, (%(base)s + i)::text, m,
    'https://photos.example.com/' || i || '/' || m || '.jpg', 'Photo', 'image/jpeg',
    'Photo ' || m, 1024, 768, now(), '{}'::jsonb
FROM generate_series(1, %(n)s) AS i, generate_series(1, %(media)s) AS m
ORDER BY i, m
"""

_MEMBERS = """
INSERT INTO members (member_key, member_mls_id, first_name, last_name, full_name, email,
    phone, office_key, status, modification_timestamp, raw, updated_at)
SELECT 'M' || i, 'A' || i, 'Agent', 'No' || i, 'Agent No' || i, 'agent' || i || '@example.com',
    '512-555-0100', 'O' || mod(i, 80), 'Active', now(), '{}'::jsonb, now()
FROM generate_series(0, 599) AS i
"""

_OFFICES = """
INSERT INTO offices (office_key, office_mls_id, name, phone, email, city, state_or_province,
    postal_code, status, modification_timestamp, raw, updated_at)
SELECT 'O' || i, 'B' || i, 'Office ' || i, '512-555-0199', 'office' || i || '@example.com',
    'Austin', 'TX', '78701', 'Active', now(), '{}'::jsonb, now()
FROM generate_series(0, 79) AS i
"""


def generate_listings(database: ScratchDatabase, listings: int) -> None:
    params = {"base": KEY_BASE, "n": listings, "media": MEDIA_PER_LISTING}
    with psycopg.connect(database.libpq_url) as connection:
        connection.execute(_LISTINGS, params)
        connection.execute(_MEDIA, params)
        connection.execute(_MEMBERS)
        connection.execute(_OFFICES)
        connection.commit()
    store_messages(database)
    with psycopg.connect(database.libpq_url, autocommit=True) as connection:
        # The rendered rows were written anew in key order (a listing's photos stay together)
        # and are in shared buffers; VACUUM FULL would leave the tables cold (it bypasses the
        # buffer cache) and the first reads of a benchmark slower than the ingest's would be.
        connection.execute("VACUUM ANALYZE")


def store_messages(database: ScratchDatabase) -> None:
    """The API messages the ingest stores with each row (``wonder listings render``, the path
    an upgraded database takes): ≈ 1 min for 100,000 listings and their 1.24 million photos."""
    from bench.support import progress
    from wonder.db.engine import make_engine, session_factory
    from wonder.listings.rerender import RenderReport, render_not_current

    def report(done: RenderReport) -> None:
        if (done.listings + done.media) % 100_000 < 5_000:
            progress(f"  {done.summary()}")

    engine = make_engine(database.url)
    try:
        progress("rendering the API messages the ingest would have stored")
        render_not_current(session_factory(engine), batch=5_000, progress=report)
    finally:
        engine.dispose()
