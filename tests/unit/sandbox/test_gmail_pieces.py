"""The Gmail sandbox's pure pieces: search operators, fields masks, quota buckets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.gmail.config import quota_regime
from wonder.sandbox.gmail.mailbox import StoredMessage
from wonder.sandbox.gmail.partial import FieldsError, apply_fields, parse_fields
from wonder.sandbox.gmail.quota import QuotaBuckets
from wonder.sandbox.gmail.search import QueryError, SearchContext, compile_query

NOW_MS = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)
DAY_MS = 86_400_000


def stored(raw: str, labels: set[str], age_days: float = 0) -> StoredMessage:
    return StoredMessage("m", "t", raw.encode(), int(NOW_MS - age_days * DAY_MS), labels, 1)


INVOICE = (
    "From: Ace <billing@ace.example>\r\nTo: agent@ws.example\r\nSubject: Invoice 7\r\n"
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
    "see attached\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
    'filename="i.pdf"\r\n\r\n%PDF\r\n--b--\r\n'
)
NOTE = "From: Zoe <zoe@mail.example>\r\nTo: agent@ws.example\r\nSubject: Hello\r\n\r\nhi there\r\n"


@pytest.mark.parametrize(
    ("query", "invoice", "note"),
    [
        ("from:ace.example", True, False),
        ("to:agent@ws.example", True, True),
        ("subject:invoice", True, False),
        ("has:attachment", True, False),
        ("-has:attachment", False, True),
        ("is:unread", False, True),
        ("newer_than:2d", True, False),
        ("older_than:2d", False, True),
        ('"there"', False, True),
        ("label:starred", True, False),
        ("after:2026/11/30 before:2026/12/02", True, False),
    ],
)
def test_search_operators(query: str, invoice: bool, note: bool) -> None:
    context = SearchContext(NOW_MS, {"starred": "STARRED"})
    predicate, _ = compile_query(query, context)
    assert predicate(stored(INVOICE, {"INBOX", "STARRED"}, age_days=1)) is invoice
    assert predicate(stored(NOTE, {"INBOX", "UNREAD"}, age_days=5)) is note


@pytest.mark.parametrize("query", ["bogus:x", "is:whatever", "after:yesterday", '"open'])
def test_unknown_operators_are_errors(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query, SearchContext(NOW_MS, {}))


def test_fields_masks_select_nested_and_listed_fields() -> None:
    value = {"messages": [{"id": "1", "threadId": "t"}], "nextPageToken": "x", "other": 1}
    assert apply_fields(value, parse_fields("messages(id),nextPageToken")) == {
        "messages": [{"id": "1"}],
        "nextPageToken": "x",
    }
    assert apply_fields({"a": {"b": 1, "c": 2}}, parse_fields("a/b")) == {"a": {"b": 1}}
    with pytest.raises(FieldsError):
        parse_fields("messages(id")


def test_a_bucket_refills_over_its_window_and_refuses_what_does_not_fit() -> None:
    clock = SandboxClock(datetime(2026, 12, 1, tzinfo=UTC), frozen=True)
    buckets = QuotaBuckets(quota_regime("current", "realistic"), clock)
    assert sum(buckets.take("a", "messages.get") for _ in range(301)) == 300  # 6,000 / 20
    assert buckets.take("b", "messages.get")  # each mailbox has its own
    clock.advance(6)  # a tenth of the minute: 600 units, 30 gets
    assert sum(buckets.take("a", "messages.get") for _ in range(31)) == 30
    assert buckets.snapshot()["refused"]["a"] == 2
