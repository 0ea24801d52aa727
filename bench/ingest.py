"""Listing ingest benchmarks: first-load throughput against raw COPY, peak memory, no-op sync.

Both first loads (the small one, which also gives the memory baseline, and the big one) are
measured against their own COPY reference. The sandbox (fast profile, so its quota never
binds) and each ingest run are separate processes:
``wonder listings first-load`` / ``sync`` are timed and their peak RSS read from ``wait4``.
The COPY reference copies the rows the ingest just wrote (binary, into memory) and times loading
them into empty twins of the same tables (``CREATE TABLE ... (LIKE ... INCLUDING ALL)`` plus the
media → listings foreign key, which LIKE does not copy).
"""

from __future__ import annotations

import io
import re
import sys
import time
from dataclasses import dataclass

import psycopg

from bench.support import (
    ChildResult,
    ScratchDatabase,
    child_env,
    count_rows,
    ingest_progress,
    progress,
    run_measured,
    scratch_database,
    trestle_sandbox,
)
from bench.table import Row, fmt_rate, fmt_ratio, ratio

NORMALIZED_TABLES = ("listings", "listing_media")
MIB = 1024 * 1024
THROUGHPUT_GOAL = 0.6
_SUMMARY = re.compile(r"^(\w+) (\w+): .*?(\d+) requests in ([\d.]+)s$", re.MULTILINE)


@dataclass(frozen=True)
class CopyTiming:
    rows: int
    seconds: float


def listings_command(command: str) -> list[str]:
    return [sys.executable, "-m", "wonder.cli", "listings", command]


def run_ingest(command: str, base_url: str, database: ScratchDatabase, total: int) -> ChildResult:
    env = child_env(
        WONDER_DATABASE_URL=database.url,
        WONDER_TRESTLE__BASE_URL=base_url,
        WONDER_LOG_LEVEL="INFO",
    )
    result = run_measured(
        listings_command(command),
        env,
        on_stderr_line=ingest_progress(f"listings {command}", total),
    )
    if result.returncode != 0:
        raise RuntimeError(f"wonder listings {command} failed:\n{result.stderr_tail}")
    return result


def requests_by_resource(summary: str) -> dict[str, int]:
    """Requests per resource from the CLI's report lines."""
    return {m.group(1): int(m.group(3)) for m in _SUMMARY.finditer(summary)}


def time_copy(database: ScratchDatabase, tables: tuple[str, ...]) -> CopyTiming:
    """COPY the rows of ``tables`` out (binary, in memory) and time loading them into twins."""
    dumps: dict[str, bytes] = {}
    with psycopg.connect(database.libpq_url) as connection:
        for table in tables:
            buffer = io.BytesIO()
            with connection.cursor().copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[table] = buffer.getvalue()
            connection.execute(f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)")
        if {"listings", "listing_media"} <= set(tables):
            # LIKE copies no foreign keys: add the one the real load checks, so both sides pay it.
            connection.execute(
                "ALTER TABLE bench_copy_listing_media ADD FOREIGN KEY (listing_key)"
                " REFERENCES bench_copy_listings (listing_key) ON DELETE CASCADE"
            )
        connection.commit()
        started = time.perf_counter()
        with connection.transaction():
            for table, data in dumps.items():
                with connection.cursor().copy(
                    f"COPY bench_copy_{table} FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(data)
        seconds = time.perf_counter() - started
        rows = 0
        for table in tables:
            found = connection.execute(f"SELECT count(*) FROM bench_copy_{table}").fetchone()
            rows += int(found[0]) if found else 0
            connection.execute(f"DROP TABLE bench_copy_{table} CASCADE")
        connection.commit()
    return CopyTiming(rows, seconds)


@dataclass(frozen=True)
class LoadMeasure:
    """One first load: its throughput against COPY of the same rows, and its peak RSS."""

    listings: int
    rows: int
    wall_seconds: float
    copy: CopyTiming
    peak_rss_bytes: int

    @property
    def rate(self) -> float:
        return self.rows / self.wall_seconds

    @property
    def copy_rate(self) -> float:
        return self.copy.rows / self.copy.seconds

    @property
    def ratio(self) -> float:
        return ratio(self.rate, self.copy_rate)


def throughput_row(load: LoadMeasure) -> Row:
    return Row(
        f"first load {load.listings:,}: rows/s end to end (listings + media)",
        fmt_rate(load.rate, "rows/s"),
        f"COPY {fmt_rate(load.copy_rate, 'rows/s')}",
        fmt_ratio(load.ratio),
        f"≥ {THROUGHPUT_GOAL}",
        load.ratio >= THROUGHPUT_GOAL,
    )


def small_run(listings: int) -> LoadMeasure:
    """A first load of ``listings`` into a database of its own, with its own COPY reference."""
    with trestle_sandbox(listings) as base_url, scratch_database() as database:
        progress(f"first load of {listings:,} listings (small run)")
        result = run_ingest("first-load", base_url, database, listings)
        counts = count_rows(database, *NORMALIZED_TABLES)
        peak = result.peak_rss_bytes / MIB
        progress(f"  done in {result.wall_seconds:.1f} s, peak RSS {peak:.0f} MiB")
        copy = time_copy(database, NORMALIZED_TABLES)
        progress(f"  COPY reference: {copy.rows:,} rows in {copy.seconds:.2f} s")
        return LoadMeasure(
            listings, sum(counts.values()), result.wall_seconds, copy, result.peak_rss_bytes
        )


def run(database: ScratchDatabase, listings: int, small_listings: int) -> list[Row]:
    """All three ingest benchmarks; leaves ``listings`` loaded in ``database`` (for gRPC)."""
    small = small_run(small_listings)
    small_rss = small.peak_rss_bytes
    with trestle_sandbox(listings) as base_url:
        progress(f"first load of {listings:,} listings into PostgreSQL")
        load = run_ingest("first-load", base_url, database, listings)
        counts = count_rows(database, *NORMALIZED_TABLES)
        progress(f"  done in {load.wall_seconds:.1f} s: {counts}")
        progress("incremental sync with nothing changed")
        sync = run_ingest("incremental", base_url, database, listings)
    progress("COPY reference: the same rows into empty twins of the tables")
    copy = time_copy(database, NORMALIZED_TABLES)
    progress(f"  {copy.rows:,} rows in {copy.seconds:.2f} s")

    big = LoadMeasure(
        listings,
        counts["listings"] + counts["listing_media"],
        load.wall_seconds,
        copy,
        load.peak_rss_bytes,
    )
    growth = (load.peak_rss_bytes - small_rss) / MIB
    requests = requests_by_resource(sync.stdout)
    listing_requests = requests.get("Property", -1)
    fraction = ratio(sync.wall_seconds, load.wall_seconds)
    return [
        throughput_row(small),
        throughput_row(big),
        Row(
            "  rows written: listings / media",
            f"{counts['listings']:,} / {counts['listing_media']:,}",
        ),
        Row(
            "  listings/s end to end",
            fmt_rate(counts["listings"] / load.wall_seconds, "listings/s"),
            f"wall {load.wall_seconds:.1f} s",
        ),
        Row(
            f"peak RSS of the first load, {small_listings:,} → {listings:,} listings",
            f"{load.peak_rss_bytes / MIB:.0f} MiB",
            f"{small_rss / MIB:.0f} MiB",
            f"+{growth:.0f} MiB",
            "growth ≤ 100 MB",
            growth * MIB <= 100_000_000,
        ),
        Row(
            "incremental sync, nothing changed: listing API requests",
            str(listing_requests),
            f"all resources: {sum(requests.values())}",
            "—",
            "≤ 2",
            0 <= listing_requests <= 2,
        ),
        Row(
            "incremental sync, nothing changed: time",
            f"{sync.wall_seconds:.1f} s",
            f"first load {load.wall_seconds:.1f} s",
            f"{fraction:.3f}",
        ),
    ]


def standalone(listings: int, small_listings: int) -> list[Row]:
    with scratch_database() as database:
        return run(database, listings, small_listings)
