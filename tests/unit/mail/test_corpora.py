"""Every message of the public corpora parses: SpamAssassin (../shared/data/email) and CPython's
own test_email data. Neither is committed; when one is absent its test skips, saying where it
looked (the hand-written messages/ cover the hard cases in every run)."""

from __future__ import annotations

import gzip
import json
import sysconfig
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from wonder.mail.message import OwnDefect
from wonder.mail.parse import parse_message

REPO = Path(__file__).resolve().parents[3]
SPAMASSASSIN = REPO.parent / "shared" / "data" / "email" / "spamassassin.jsonl.gz"
CPYTHON_DATA = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"


def spamassassin() -> Iterator[tuple[str, bytes]]:
    with gzip.open(SPAMASSASSIN, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            yield row["id"], row["raw"].encode("latin-1")  # the README: raw decoded as latin-1


def _parse_all(messages: Iterator[tuple[str, bytes]]) -> tuple[int, Counter[str], list[str]]:
    count, kinds, unparseable = 0, Counter[str](), []
    for name, raw in messages:
        message = parse_message(raw)  # raising here fails the test with the message's id
        count += 1
        kinds.update(defect.kind for defect in message.defects)
        if OwnDefect.UNPARSEABLE_MESSAGE in message.defect_kinds():
            unparseable.append(name)
    return count, kinds, unparseable


def _report(corpus: str, count: int, kinds: Counter[str]) -> None:
    lines = [f"{corpus}: {count} messages, defects by kind:"]
    lines += [f"  {kind}: {n}" for kind, n in kinds.most_common()]
    print("\n".join(lines))


@pytest.mark.slow
def test_every_spamassassin_message_parses() -> None:
    if not SPAMASSASSIN.exists():
        pytest.skip(f"SpamAssassin corpus not present at {SPAMASSASSIN}")
    count, kinds, unparseable = _parse_all(spamassassin())
    _report("spamassassin", count, kinds)
    assert count == 6046  # data/README.md
    assert unparseable == []
    # Known from the corpus: 2002-era dates without a zone, 8-bit headers, unknown charsets.
    assert kinds[OwnDefect.DATE_WITHOUT_ZONE] > 0
    assert kinds[OwnDefect.UNDECODABLE_HEADER] > 0
    assert kinds[OwnDefect.UNKNOWN_CHARSET] > 0


def test_every_cpython_test_email_message_parses() -> None:
    paths = sorted(CPYTHON_DATA.glob("msg_*.txt"))
    if not paths:
        pytest.skip(f"CPython's test_email data not installed at {CPYTHON_DATA}")
    count, kinds, unparseable = _parse_all((p.name, p.read_bytes()) for p in paths)
    _report("cpython test_email", count, kinds)
    assert count == len(paths) >= 40
    assert unparseable == []
    assert kinds[OwnDefect.MISSING_DATE] > 0  # most of them have no Date
