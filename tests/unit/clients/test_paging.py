"""The paging strategies and the one loop, against scripted fake services (no HTTP)."""

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pytest

from wonder.clients.paging import (
    KeysetPaging,
    NextLinkPaging,
    OffsetPaging,
    Page,
    PageRequest,
    PageTokenPaging,
    iterate_pages,
)


class Recorder:
    """A fetch that answers from ``answer(request)`` and remembers every request."""

    def __init__(self, answer: Callable[[PageRequest], Page[Any]]) -> None:
        self.answer = answer
        self.requests: list[PageRequest] = []

    def __call__(self, request: PageRequest) -> Page[Any]:
        self.requests.append(request)
        return self.answer(request)


def records(pages: Iterable[Page[Any]]) -> list[Any]:
    return [record for page in pages for record in page.records]


# -- next link -------------------------------------------------------------------------------


def test_next_link_follows_links_and_yields_the_empty_last_page():
    links = {"p1": Page([1, 2], next_link="p2"), "p2": Page([3, 4], next_link="p3"), "p3": Page([])}
    fetch = Recorder(lambda request: links[request.link or ""])
    pages = list(iterate_pages(fetch, NextLinkPaging(PageRequest(link="p1"))))
    assert records(pages) == [1, 2, 3, 4]
    assert len(pages) == 3
    assert [r.link for r in fetch.requests] == ["p1", "p2", "p3"]


def test_next_link_stops_on_a_page_without_a_link():
    fetch = Recorder(lambda request: Page([1]))
    assert records(iterate_pages(fetch, NextLinkPaging(PageRequest(link="p1")))) == [1]
    assert len(fetch.requests) == 1


def test_next_link_stops_on_an_empty_page_even_with_a_link():
    fetch = Recorder(lambda request: Page([], next_link="more"))
    assert list(iterate_pages(fetch, NextLinkPaging(PageRequest(link="p1")))) == [
        Page([], next_link="more")
    ]
    assert len(fetch.requests) == 1


def test_a_next_link_that_does_not_move_ends_the_walk(caplog):
    fetch = Recorder(lambda request: Page([request.link], next_link="same"))
    pages = list(iterate_pages(fetch, NextLinkPaging(PageRequest(link="first"))))
    assert records(pages) == ["first", "same"]
    assert [r.link for r in fetch.requests] == ["first", "same"]
    assert "did not move" in caplog.text


def test_a_cycle_of_links_ends_the_walk():
    cycle = {"a": "b", "b": "a"}
    fetch = Recorder(lambda request: Page([request.link], next_link=cycle[request.link or ""]))
    assert records(iterate_pages(fetch, NextLinkPaging(PageRequest(link="a")))) == ["a", "b"]


def test_max_pages_and_laziness():
    fetch = Recorder(lambda request: Page([1], next_link=f"{request.link}+"))
    walk = iterate_pages(fetch, NextLinkPaging(PageRequest(link="p")), max_pages=2)
    assert fetch.requests == []  # nothing is fetched before the first next()
    assert len(list(walk)) == 2
    assert len(fetch.requests) == 2


# -- keyset ----------------------------------------------------------------------------------

ROWS = [("2026-01-01", "A"), ("2026-01-01", "B"), ("2026-01-01", "C"), ("2026-01-02", "A")]


def keyset_source(page_size: int) -> Callable[[PageRequest], Page[tuple[str, str]]]:
    def answer(request: PageRequest) -> Page[tuple[str, str]]:
        after = request.params.get("after")
        rows = [row for row in ROWS if after is None or row > after]
        return Page(rows[:page_size])

    return answer


def after_last(records: Sequence[Any]) -> dict[str, Any]:
    return {"after": records[-1]}


def test_keyset_builds_the_next_request_from_the_last_record_until_an_empty_page():
    fetch = Recorder(keyset_source(2))
    strategy = KeysetPaging({"orderby": "ts,key"}, after_last)
    assert records(iterate_pages(fetch, strategy)) == ROWS
    assert [r.params for r in fetch.requests] == [
        {"orderby": "ts,key"},
        {"orderby": "ts,key", "after": ROWS[1]},
        {"orderby": "ts,key", "after": ROWS[3]},
    ]


def test_keyset_stops_on_a_short_page_when_the_page_size_is_known():
    fetch = Recorder(keyset_source(3))
    assert records(iterate_pages(fetch, KeysetPaging({}, after_last, page_size=3))) == ROWS
    assert len(fetch.requests) == 2  # 3 rows, then 1 (< 3): no empty page asked for


def test_keyset_stops_when_the_caller_finds_no_position():
    fetch = Recorder(keyset_source(2))
    assert len(list(iterate_pages(fetch, KeysetPaging({}, lambda records: None)))) == 1


def test_keyset_position_that_does_not_advance_ends_the_walk():
    fetch = Recorder(lambda request: Page([("same", "row")]))
    assert len(list(iterate_pages(fetch, KeysetPaging({}, after_last)))) == 2
    assert len(fetch.requests) == 2


# -- limit / offset with a total -------------------------------------------------------------


def offset_source(total: int, *, cap: int = 1000, send_total: bool = True):
    def answer(request: PageRequest) -> Page[int]:
        offset, limit = request.params["offset"], min(request.params["limit"], cap)
        rows = list(range(total))[offset : offset + limit]
        return Page(rows, total=total if send_total else None)

    return answer


def test_offset_walks_to_the_total_without_asking_for_an_empty_page():
    fetch = Recorder(offset_source(6))
    pages = list(iterate_pages(fetch, OffsetPaging(3, {"orderby": "Id asc"})))
    assert records(pages) == list(range(6))
    assert [r.params for r in fetch.requests] == [
        {"orderby": "Id asc", "limit": 3, "offset": 0},
        {"orderby": "Id asc", "limit": 3, "offset": 3},
    ]


def test_offset_advances_by_what_came_back_when_the_server_caps_the_limit():
    fetch = Recorder(offset_source(5, cap=2))  # asked 4 per page, served 2
    assert records(iterate_pages(fetch, OffsetPaging(4))) == list(range(5))
    assert [r.params["offset"] for r in fetch.requests] == [0, 2, 4]


def test_offset_without_a_total_stops_on_a_short_page():
    fetch = Recorder(offset_source(5, send_total=False))
    assert records(iterate_pages(fetch, OffsetPaging(2))) == list(range(5))
    assert [r.params["offset"] for r in fetch.requests] == [0, 2, 4]


def test_offset_stops_on_an_empty_page_even_below_the_total():
    fetch = Recorder(lambda request: Page([], total=100))
    assert len(list(iterate_pages(fetch, OffsetPaging(10)))) == 1


def test_offset_custom_parameter_names_and_start():
    fetch = Recorder(lambda request: Page(["x"] * 2, total=6))
    strategy = OffsetPaging(2, offset=2, limit_param="$top", offset_param="$skip")
    assert len(list(iterate_pages(fetch, strategy))) == 2
    assert [r.params for r in fetch.requests] == [{"$top": 2, "$skip": 2}, {"$top": 2, "$skip": 4}]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1, -1)])
def test_offset_rejects_nonsense(limit, offset):
    with pytest.raises(ValueError, match="OffsetPaging"):
        OffsetPaging(limit, offset=offset)


# -- page token ------------------------------------------------------------------------------


def test_page_token_sends_each_token_until_a_page_has_none():
    tokens = {
        None: Page(["a"], next_token="t1"),
        "t1": Page([], next_token="t2"),
        "t2": Page(["b"]),
    }
    fetch = Recorder(lambda request: tokens[request.params.get("pageToken")])
    strategy = PageTokenPaging({"q": "in:inbox", "maxResults": 500})
    pages = list(iterate_pages(fetch, strategy))
    assert records(pages) == ["a", "b"]  # the empty middle page did not end the walk
    assert [r.params for r in fetch.requests] == [
        {"q": "in:inbox", "maxResults": 500},
        {"q": "in:inbox", "maxResults": 500, "pageToken": "t1"},
        {"q": "in:inbox", "maxResults": 500, "pageToken": "t2"},
    ]


def test_a_repeated_token_ends_the_walk(caplog):
    caplog.set_level(logging.WARNING, logger="wonder.clients.paging")
    answers = iter([Page(["a"], next_token="t1"), Page(["b"], next_token="t1")])
    fetch = Recorder(lambda request: next(answers))
    assert records(iterate_pages(fetch, PageTokenPaging())) == ["a", "b"]
    assert len(fetch.requests) == 2
    assert "repeats an earlier one" in caplog.text


def test_airtable_style_offset_token():
    answers = iter([Page(["a"], next_token="itr1/rec9"), Page(["b"])])
    fetch = Recorder(lambda request: next(answers))
    list(iterate_pages(fetch, PageTokenPaging({"pageSize": 100}, token_param="offset")))
    assert fetch.requests[1].params == {"pageSize": 100, "offset": "itr1/rec9"}
