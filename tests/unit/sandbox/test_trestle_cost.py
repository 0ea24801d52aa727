"""The query cost model: what a query costs from its shape, and where it becomes a 504."""

from __future__ import annotations

import pytest

from wonder.sandbox.trestle.config import QueryCostSettings
from wonder.sandbox.trestle.cost import Terms, check_cost, filter_terms, query_cost
from wonder.sandbox.trestle.odata import ODataError, parse_filter, parse_query
from wonder.sandbox.trestle.schema import load_schema

SCHEMA = load_schema()
DEFAULTS = QueryCostSettings()


def cost(resource: str, **params: str) -> float:
    entity = SCHEMA.entities[resource]
    query = parse_query(entity, SCHEMA.entities, [(f"${k}", v) for k, v in params.items()])
    return round(query_cost(query, DEFAULTS), 6)


def test_the_documented_large_queries_fit_under_the_limit() -> None:
    assert cost("Property", top="1000", expand="Media") == 2_000
    assert cost("Property", top="1000", expand="Media", filter="ListingKey gt '1'") == 2_010
    assert cost("Property", top="300000", select="ListingKey,ModificationTimestamp") == 3_000
    media = " or ".join(f"ResourceRecordKey eq '{n}'" for n in range(200))
    assert cost("Media", top="1000", filter=media) == 2_000
    assert cost("Property") == 10  # $top defaults to 10


def test_terms_on_fields_no_index_serves_make_a_query_slow() -> None:
    slow = " or ".join(f"City eq 'C{n}'" for n in range(100))
    assert cost("Property", top="1000", expand="Media", filter=slow) == 12_000
    assert cost("Property", top="1000", expand="Media,OpenHouse") == 2_500
    # A full record is a full record, even when only one field of it is selected.
    assert cost("Property", top="1000", select="ListingKey,City") == 1_000


def test_filter_terms_count_comparisons_in_items_and_functions() -> None:
    def terms(text: str) -> Terms:
        return filter_terms(parse_filter(text), "ListingKey")

    assert terms("ListingKey eq '1' or ListingKey eq '2'") == Terms(indexed=2)
    assert terms("ListingKey in ('1', '2', '3')") == Terms(indexed=3)
    assert terms("not (City eq 'A') and ListPrice gt 5") == Terms(scanned=2)
    assert terms("contains(PublicRemarks, 'pool')") == Terms(scanned=1)
    assert terms("ModificationTimestamp gt 2026-01-01T00:00:00Z and City eq 'A'") == Terms(1, 1)
    assert filter_terms(None, "ListingKey") == Terms()


def test_check_cost_raises_the_504_past_the_limit_only() -> None:
    entity = SCHEMA.entities["Property"]
    query = parse_query(entity, SCHEMA.entities, [("$top", "1000"), ("$expand", "Media")])
    check_cost(query, DEFAULTS)
    check_cost(query, QueryCostSettings(timeout_cost=2_000))  # at the limit is fine
    with pytest.raises(ODataError) as raised:
        check_cost(query, QueryCostSettings(timeout_cost=1_999))
    assert raised.value.status == 504
    check_cost(query, QueryCostSettings(timeout_cost=None, full_row=1e9))
