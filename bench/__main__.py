"""``make bench`` / ``python -m bench [--only AREA] [--listings N] [--leases N] [--quick]``.

Areas: ingest, grpc, abuse, mail (parsing), mail-sync (the Gmail quota ceiling), mail-push,
buildium-latency (webhook to balance sheet)
(Gmail push to stored latency), webhooks, buildium (page parsing, first mirror over HTTP).

Prints one side-by-side table per area (metric | measured | reference | ratio | goal); progress
goes to stderr. ``--markdown FILE`` also writes the tables (with date and machine) as Markdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    abuse,
    buildium_http,
    buildium_parse,
    buildium_webhook_latency,
    grpc_bench,
    ingest,
    mail_parse,
    mail_push_latency,
    mail_sync,
    webhooks,
)
from bench.support import progress, scratch_database
from bench.table import Row, render_markdown, render_text

FULL_LISTINGS = 100_000
QUICK_LISTINGS = 5_000
FULL_LEASES = 10_000  # ~17 min: one ledger request per lease at 10 requests/s
QUICK_LEASES = 200


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        choices=(
            "ingest",
            "grpc",
            "abuse",
            "mail",
            "mail-sync",
            "mail-push",
            "webhooks",
            "buildium-latency",
            "buildium",
        ),
        help="run one area only",
    )
    parser.add_argument(
        "--leases",
        type=int,
        help=f"Buildium leases mirrored over HTTP at 10 req/s (default {FULL_LEASES:,};"
        f" {QUICK_LEASES:,} with --quick)",
    )
    parser.add_argument(
        "--listings",
        type=int,
        help=f"listings to load (default {FULL_LISTINGS:,}; {QUICK_LISTINGS:,} with --quick)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small scale and short runs: checks the harness"
    )
    parser.add_argument(
        "--grpc-parts",
        default=",".join(grpc_bench.PARTS),
        help="with --only grpc: the comma-separated parts to run"
        f" (default all: {','.join(grpc_bench.PARTS)})",
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    return parser.parse_args(argv)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    listings = args.listings or (QUICK_LISTINGS if args.quick else FULL_LISTINGS)
    small = max(listings // 10, 100)
    scale = grpc_bench.QUICK_SCALE if args.quick else grpc_bench.FULL_SCALE
    started = datetime.now(UTC)
    progress(f"benchmarks at {listings:,} listings on {machine()}")
    tables: list[tuple[str, list[Row]]] = []

    def show(title: str, rows: list[Row]) -> None:
        tables.append((title, rows))
        print(render_text(title, rows) + "\n", flush=True)

    webhook_events = 1000 if args.quick else 5000
    if args.only in (None, "mail"):
        show("Mail parsing and linking (SpamAssassin corpus)", mail_parse.run())
    if args.only in (None, "mail-sync"):
        show("Mail sync at the Gmail quota ceiling", mail_sync.run(quick=args.quick))
    if args.only in (None, "mail-push"):
        show("Gmail push to stored latency", mail_push_latency.run(quick=args.quick))
    if args.only in (None, "buildium"):
        leases = args.leases or (QUICK_LEASES if args.quick else FULL_LEASES)
        show("Buildium page parsing (1,000-record pages)", buildium_parse.run())
        show(
            f"Buildium first mirror over HTTP ({leases:,} leases, 10 req/s)",
            buildium_http.run(leases),
        )
    if args.only in (None, "buildium-latency"):
        show(
            "Buildium webhook to the PM Balance Sheet latency",
            buildium_webhook_latency.run(quick=args.quick),
        )
    if args.only in ("mail", "mail-sync", "mail-push", "buildium", "buildium-latency"):
        pass
    elif args.only == "webhooks":
        show("Webhook receiver (Buildium, PostgreSQL inbox)", webhooks.standalone(webhook_events))
    elif args.only == "abuse":
        show("Careless stream clients", abuse.standalone(listings))
    elif args.only == "grpc":
        parts = [part for part in args.grpc_parts.split(",") if part]
        unknown = sorted(set(parts) - set(grpc_bench.PARTS))
        if unknown:
            raise SystemExit(f"unknown --grpc-parts {unknown}; choose from {grpc_bench.PARTS}")
        rows = grpc_bench.standalone(listings, scale, parts)
        show(f"gRPC API over {listings:,} generated listings", rows)
    else:
        with scratch_database() as database:
            show(f"Listing ingest ({listings:,} listings)", ingest.run(database, listings, small))
            if args.only is None:
                show(
                    f"gRPC API over the {listings:,} ingested listings",
                    grpc_bench.run(database, scale),
                )
                show("Careless stream clients", abuse.run(database))
                show(
                    "Webhook receiver (Buildium, PostgreSQL inbox)",
                    webhooks.run(database, webhook_events),
                )
    elapsed = (datetime.now(UTC) - started).total_seconds()
    progress(f"done in {elapsed / 60:.1f} min")
    if args.markdown is not None:
        header = (
            f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()},"
            f" run took {elapsed / 60:.1f} min."
        )
        parts = [header, *(render_markdown(title, rows) for title, rows in tables)]
        args.markdown.write_text("\n\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
