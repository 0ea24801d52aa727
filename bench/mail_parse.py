"""Mail parsing and linking: messages/s on the SpamAssassin corpus on one core, peak RSS.

A child process (``python -m bench.mail_parse --child``) loads the corpus, then parses every
message and links it against in-memory directories (10,000 listings, 2,000 contacts, some of
them the corpus's own senders, so links are made); its CPU time is the one-core figure (the
machine may be shared: wall time is shown beside it), its peak RSS comes from ``wait4``. The
reference, measured in the same child on the same messages, is the bare stdlib: ``BytesParser
(policy=email.policy.default)`` plus ``get_body().get_content()``, which reads less than we do.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from bench.support import REPO_ROOT, child_env, progress, run_measured
from bench.table import Row, fmt_rate, fmt_ratio, ratio

CORPUS = REPO_ROOT.parent / "shared" / "data" / "email" / "spamassassin.jsonl.gz"
GOAL = 500.0  # messages/s on one core (issue 10)
MIB = 1024 * 1024
STREETS = ("Oak", "Elm", "Main", "Pine", "Maple", "Cedar", "Lake", "Hill", "Park", "Washington")
SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Dr", "Ln")


def load_corpus(path: Path) -> list[bytes]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["raw"].encode("latin-1") for line in lines]


def directories(messages: list[bytes]):
    from wonder.mail.directory import (
        Contact,
        ContactKind,
        InMemoryContactDirectory,
        InMemoryListingDirectory,
        ListingRef,
    )
    from wonder.mail.matching import street_address
    from wonder.mail.parse import parse_message

    listings = [
        ListingRef(
            str(100_000_000 + i),
            f"WS{2_400_000 + i}",
            street_address(f"{i % 997 + 1} {STREETS[i % 10]} {SUFFIXES[i % 6]}, Springfield"),
        )
        for i in range(10_000)
    ]
    senders = [m for raw in messages[:1000] for m in parse_message(raw).from_][:1000]
    contacts = [
        Contact(ContactKind.TRESTLE_MEMBER, f"M{i}", m.name or None, (m.address,))
        for i, m in enumerate(senders)
    ]
    contacts += [
        Contact(
            ContactKind.TRESTLE_MEMBER, f"S{i}", f"Agent{i} Person{i}", (f"a{i}@realty.example",)
        )
        for i in range(2000 - len(contacts))
    ]
    return InMemoryContactDirectory(contacts), InMemoryListingDirectory(listings)


def child() -> int:
    from wonder.mail.linking import link_message
    from wonder.mail.parse import parse_message

    messages = load_corpus(CORPUS)
    contacts, listings = directories(messages)
    parser = BytesParser(policy=policy.default)
    cpu, wall = time.process_time(), time.perf_counter()
    for raw in messages:
        message = parser.parsebytes(raw)
        body = message.get_body()
        if body is not None:
            # The stdlib raises on bad charsets and encodings.
            with contextlib.suppress(LookupError, ValueError, AssertionError):
                body.get_content()
    ref_cpu = time.process_time() - cpu
    contact_links = listing_links = defects = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for raw in messages:
        parsed = parse_message(raw)
        links = link_message(parsed, contacts, listings)
        contact_links += len(links.contacts)
        listing_links += len(links.listings)
        defects += len(parsed.defects)
    figures = {
        "messages": len(messages),
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "ref_cpu": ref_cpu,
        "contact_links": contact_links,
        "listing_links": listing_links,
        "defects": defects,
    }
    print(json.dumps(figures))
    return 0


def run() -> list[Row]:
    if not CORPUS.exists():
        return [Row("parse + link", f"corpus not present at {CORPUS}")]
    progress("mail parse + link over the SpamAssassin corpus (child process)")
    result = run_measured([sys.executable, "-m", "bench.mail_parse", "--child"], child_env())
    if result.returncode != 0:
        raise RuntimeError(f"bench.mail_parse --child failed:\n{result.stderr_tail}")
    f = json.loads(result.stdout.strip().splitlines()[-1])
    rate = f["messages"] / f["cpu"]
    reference = f["messages"] / f["ref_cpu"]
    return [
        Row(
            f"parse + link, messages/s on one core (CPU time, {f['messages']:,} messages)",
            fmt_rate(rate, "msg/s"),
            f"stdlib parse + get_content {fmt_rate(reference, 'msg/s')}",
            fmt_ratio(ratio(rate, reference)),
            f"≥ {GOAL:.0f} msg/s",
            rate >= GOAL,
        ),
        Row(
            "parse + link, wall clock (shared machine)",
            fmt_rate(f["messages"] / f["wall"], "msg/s"),
        ),
        Row(
            "peak RSS of the process (corpus held in memory)",
            f"{result.peak_rss_bytes / MIB:,.0f} MiB",
        ),
        Row(
            "links made / defects recorded",
            f"{f['contact_links']:,} contacts, {f['listing_links']:,} listings / {f['defects']:,}",
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.mail_parse")
    parser.add_argument("--child", action="store_true", help="measure in this process")
    if parser.parse_args().child:
        sys.exit(child())
    from bench.table import render_text

    print(render_text("Mail parsing and linking", run()))
