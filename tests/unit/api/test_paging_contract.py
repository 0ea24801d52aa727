"""Paging as a caller sees it: order_by errors, keyset positions, page tokens, page ends.

Errors name the request field they are about (``order_by``, ``page_size``, ``page_token``) and
read exactly as below. A page token is ``base64url(payload || tag)`` without padding, where the
payload is the JSON document ``{"v": 2, "q": <fingerprint>, "e": <expiry, Unix seconds>, "p":
<position>}`` and the tag the
first 16 bytes of its HMAC-SHA256; the fingerprint is the first 32 hex digits of the SHA-256 of
the query's parts as key-sorted compact JSON, so a token survives a release that keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from wonder.aip.fields import Catalogue, FieldSpec, FieldType, SortValue, fields
from wonder.aip.ordering import (
    MAX_ORDER_BY_LENGTH,
    OrderKey,
    parse_order_by,
    position_from_json,
    position_to_json,
)
from wonder.aip.pagetoken import PageTokenCodec, PageTokenError, query_fingerprint
from wonder.aip.paging import Pager, resolve_page_size
from wonder.errors import InvalidArgument
from wonder.listings.catalogue import LIST_PRICE, LISTINGS

SECRET = b"unit-test-secret"
CODEC = PageTokenCodec(SECRET)
FAR = 4_102_444_800  # 2100-01-01: a token expiring then is still good
KEY = FieldSpec("key", "key", FieldType.STRING, nullable=False)
ID = FieldSpec("id", "id", FieldType.INTEGER, nullable=False)
AREA = FieldSpec("living_area", "living_area", FieldType.FLOAT)
CITY = FieldSpec("city", "city", FieldType.STRING)

SMALL = Catalogue(filter_fields={}, order_fields=fields(CITY, ID), tiebreak=ID)


def order_by_error(text: str, catalogue: Catalogue = LISTINGS) -> str:
    with pytest.raises(InvalidArgument) as caught:
        parse_order_by(text, catalogue)
    assert caught.value.field == "order_by"
    return caught.value.description


# --- order_by ---------------------------------------------------------------------------------


def test_order_by_errors_read_exactly() -> None:
    assert order_by_error("city,", SMALL) == "empty sort field (stray ',')"
    assert order_by_error("price desc", SMALL) == (
        "unknown sort field 'price' (sortable fields: city, id)"
    )
    assert order_by_error("city, city desc", SMALL) == "field 'city' appears twice"
    assert order_by_error("city descending", SMALL) == (
        "'city descending': expected '<field>' or '<field> desc'"
    )


def test_the_order_by_length_bound_is_inclusive() -> None:
    fits = "city desc".ljust(MAX_ORDER_BY_LENGTH)
    assert parse_order_by(fits, SMALL) == (OrderKey(CITY, descending=True), OrderKey(ID))
    assert order_by_error(fits + " ", SMALL) == f"longer than {MAX_ORDER_BY_LENGTH} characters"


# --- keyset positions -------------------------------------------------------------------------


def test_a_position_has_one_value_per_sort_key() -> None:
    with pytest.raises(ValueError, match=r"^position length does not match the sort keys$"):
        position_from_json([KEY, ID], ["K1"])
    with pytest.raises(ValueError, match="shorter"):
        position_to_json([KEY, ID], ["K1"])


@pytest.mark.parametrize(
    ("spec", "raw", "value"),
    [
        # BIGINT columns: the whole signed 64-bit range.
        (ID, -(2**63), -(2**63)),
        (ID, 2**63 - 1, 2**63 - 1),
        (AREA, 2, 2.0),
        (AREA, -1.5e299, -1.5e299),
        # NUMERIC(14, 2): up to 999,999,999,999.99.
        (LIST_PRICE, "999999999999.99", Decimal("999999999999.99")),
        (LIST_PRICE, "-999999999999.99", Decimal("-999999999999.99")),
    ],
)
def test_positions_up_to_what_the_column_holds_are_accepted(
    spec: FieldSpec, raw: Any, value: Any
) -> None:
    (decoded,) = position_from_json([spec], [raw])
    assert decoded == value
    assert type(decoded) is type(value)


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (ID, 2**63),
        (ID, -(2**63) - 1),
        (AREA, True),
        (AREA, "1.5"),
        (AREA, 1e300),
        (AREA, -1e301),
        (LIST_PRICE, "1000000000000"),
        (LIST_PRICE, "-1000000000000.00"),
    ],
)
def test_positions_past_what_the_column_holds_are_refused(spec: FieldSpec, raw: Any) -> None:
    with pytest.raises(ValueError, match=f"^bad value for {spec.name}$"):
        position_from_json([spec], [raw])


def test_a_decimal_position_that_is_not_a_number_names_its_key() -> None:
    with pytest.raises(ValueError, match=r"^bad decimal for list_price$"):
        position_from_json([LIST_PRICE], ["12,5"])


# --- page tokens ------------------------------------------------------------------------------


def signed(document: object) -> str:
    """A token for ``document`` built from the format alone (see the module docstring)."""
    payload = document if isinstance(document, bytes) else json.dumps(document).encode()
    tag = hmac.new(SECRET, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + tag).decode().rstrip("=")


def token_error(token: str, fingerprint: str = "fp") -> PageTokenError:
    with pytest.raises(PageTokenError) as caught:
        CODEC.decode(token, fingerprint)
    assert caught.value.field == "page_token"
    return caught.value


def test_the_fingerprint_is_stable() -> None:
    expected = hashlib.sha256(b'{"filter":"city = \'A\'","method":"M","n":3}').hexdigest()[:32]
    assert query_fingerprint(method="M", filter="city = 'A'", n=3) == expected


def test_a_token_built_to_the_format_decodes() -> None:
    assert CODEC.decode(signed({"v": 2, "q": "fp", "e": FAR, "p": ["K9", 3]}), "fp") == ["K9", 3]


def test_tokens_of_every_length_round_trip() -> None:
    # Base64 text of every length modulo 4, and every last character.
    endings = set()
    for index in range(400):
        position: list[Any] = [f"K{index}", "x" * (index % 7)]
        token = CODEC.encode("fp", position)
        endings.add(token[-1])
        assert "=" not in token
        assert CODEC.decode(token, "fp") == position
    assert len(endings) > 40


def test_token_errors_read_exactly() -> None:
    malformed = "the page token is malformed"
    assert token_error("a").description == malformed  # not base64
    assert token_error("é").description == malformed  # not ASCII
    assert token_error(signed({"v": 2, "q": "fp", "e": FAR, "p": 5})).description == malformed
    assert token_error(signed({"v": 2, "q": "fp", "e": FAR})).description == malformed
    assert token_error(signed({"v": 2, "q": "fp", "p": []})).description == malformed
    assert token_error(signed({"v": 2, "q": "fp", "e": "soon", "p": []})).description == malformed
    assert token_error(signed(b"not json")).description == malformed
    altered = "the page token is invalid or was altered"
    assert token_error("YWJj").description == altered
    assert token_error(PageTokenCodec(b"other").encode("fp", [])).description == altered
    version = "the page token has an unsupported version"
    assert token_error(signed({"v": 1, "q": "fp", "p": []})).description == version
    assert token_error(signed({"v": 3, "q": "fp", "e": FAR, "p": []})).description == version
    assert token_error(signed(["v", 1])).description == version
    assert token_error(CODEC.encode("fp", []), "other").description == (
        "the page token was issued for a different request "
        "(filter, order_by and the other list parameters must not change between pages)"
    )


def test_a_position_json_cannot_carry_is_refused_when_encoding() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        CODEC.encode("fp", [float("nan")])


def test_the_codec_hides_its_secret() -> None:
    assert repr(CODEC) == "PageTokenCodec(secret=***)"
    with pytest.raises(ValueError, match=r"^the page token secret must not be empty$"):
        PageTokenCodec(b"")


# --- Pager / PageCursor -----------------------------------------------------------------------


def pager() -> Pager:
    return Pager(CODEC, service="wonder.v1.ThingService", default_size=3, max_size=5)


ROWS = [{"key": f"K{i}"} for i in range(10)]


def position(row: dict[str, str]) -> list[str]:
    return [row["key"]]


def test_page_sizes_default_clamp_and_refuse_negatives() -> None:
    assert pager().start("ListThings", 0, "", [KEY]).page_size == 3
    assert pager().start("ListThings", 4, "", [KEY]).page_size == 4
    assert pager().start("ListThings", 99, "", [KEY]).page_size == 5
    assert resolve_page_size(0, 50, 10) == 10  # a default above the maximum is clamped too
    with pytest.raises(InvalidArgument) as caught:
        pager().start("ListThings", -2, "", [KEY])
    assert caught.value.field == "page_size"
    assert caught.value.description == "must not be negative, got -2"


def test_the_first_page_starts_at_the_beginning() -> None:
    cursor = pager().start("ListThings", 2, "", [KEY])
    assert cursor.after is None
    assert cursor.fetch_limit == 3


def test_a_page_with_more_behind_it_has_a_token_to_the_next() -> None:
    cursor = pager().start("ListThings", 2, "", [KEY], parent="p1")
    page, token = cursor.finish(ROWS[:3], position)
    assert page == ROWS[:2]
    assert pager().start("ListThings", 2, token, [KEY], parent="p1").after == ["K1"]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_the_last_page_has_no_token(count: int) -> None:
    cursor = pager().start("ListThings", 2, "", [KEY])
    page, token = cursor.finish(ROWS[:count], position)
    assert page == ROWS[:count]
    assert token == ""


def test_a_token_is_bound_to_the_query_and_the_method() -> None:
    cursor = pager().start("ListThings", 2, "", [KEY], filter="a = 1")
    _, token = cursor.finish(ROWS[:3], position)
    assert pager().start("ListThings", 2, token, [KEY], filter="a = 1").after == ["K1"]
    # A different page size is still the same query.
    assert pager().start("ListThings", 5, token, [KEY], filter="a = 1").after == ["K1"]
    for method, query in (("ListThings", {"filter": "a = 2"}), ("ListOthers", {"filter": "a = 1"})):
        with pytest.raises(PageTokenError, match="different request"):
            pager().start(method, 2, token, [KEY], **query)


def test_a_token_whose_position_does_not_fit_the_keys_is_malformed() -> None:
    cursor = pager().start("ListThings", 1, "", [KEY])
    _, token = cursor.finish(ROWS[:2], position)
    with pytest.raises(PageTokenError) as caught:
        pager().start("ListThings", 1, token, [ID])  # same query, keys of another type
    assert caught.value.field == "page_token"
    assert caught.value.description == "the page token is malformed"


def test_positions_of_every_type_travel_in_a_token() -> None:
    keys = [LIST_PRICE, LISTINGS.order_fields["modification_time"], AREA, ID, KEY]
    values: list[SortValue] = [
        Decimal("10.50"),
        datetime(2024, 5, 1, 1, 2, 3, tzinfo=UTC),
        1.5,
        7,
        "K1",
    ]
    cursor = pager().start("ListThings", 1, "", keys)
    _, token = cursor.finish([values, values], lambda row: row)
    assert pager().start("ListThings", 1, token, keys).after == values
