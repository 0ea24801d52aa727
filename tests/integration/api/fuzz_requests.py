"""What the request fuzz sends: hypothesis strategies for every ListingService request field.

See test_request_fuzz.py for what is asserted.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import grpc
import grpc.aio
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from wonder.v1 import listing_pb2, listing_service_pb2

pb = listing_service_pb2
SERVICE = pb.DESCRIPTOR.services_by_name["ListingService"]
C = grpc.StatusCode
View: TypeAlias = listing_pb2.ListingView.ValueType
T = TypeVar("T")

# Never the answer to a request, however malformed.
SERVER_FAULTS = frozenset({C.INTERNAL, C.UNKNOWN, C.UNAVAILABLE, C.DEADLINE_EXCEEDED})
UNARY_TIMEOUT = 10.0  # generous: a unary call that needs it all is a fault
STREAM_TIMEOUT = 10.0
STREAM_READ_SECONDS = 0.25  # then the stream is cancelled (an idle feed sends nothing)
MAX_TEXT = 20_000
TAG_BYTES = 16  # wonder.aip.pagetoken: the JSON payload, then HMAC-SHA256 truncated to 16 bytes
# A default client accepts response metadata (the trailers carrying the status message and
# details) up to 8 KiB, rejects it above 16 KiB, and in between rejects it at random
# (RESOURCE_EXHAUSTED). The fuzz client rejects anything above 8 KiB, so the verdict is
# deterministic: a server must never make a default client fail, not even sometimes.
METADATA_LIMIT = 8 * 1024
STRICT_CLIENT = [
    ("grpc.max_metadata_size", METADATA_LIMIT),
    ("grpc.absolute_max_metadata_size", METADATA_LIMIT),
]

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    # No explain phase: it reruns each failure hundreds of times to annotate it, without news.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def mostly(valid: st.SearchStrategy[T], junk: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``valid`` four times in five, else ``junk`` (shrinks towards ``valid``)."""
    return st.tuples(st.integers(0, 4), valid, junk).map(lambda t: t[2] if t[0] == 4 else t[1])


# --- strategies: text, numbers, names --------------------------------------------------------

utf8 = st.characters(codec="utf-8")
huge_text = st.builds(
    lambda chunk, n: (chunk * n)[:MAX_TEXT],
    st.text(utf8, min_size=1, max_size=8),
    st.integers(1, MAX_TEXT),
)
any_text = st.one_of(
    st.text(utf8),
    st.text(st.characters(max_codepoint=0x9F)),  # ASCII, C0/C1 control characters, NUL
    st.builds(lambda a, b: f"{a}\x00{b}", st.text(utf8, max_size=8), st.text(utf8, max_size=8)),
    huge_text,
)
int32s = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, 1000, 1001, 2**31 - 1, -(2**31)]),
    st.integers(-(2**31), 2**31 - 1),
)
int64s = st.one_of(
    st.sampled_from([0, 1, 2, 3, 4, -1, 2**31, 2**63 - 1, -(2**63)]),
    st.integers(-(2**63), 2**63 - 1),
)
page_sizes = mostly(st.integers(0, 1200), int32s)
views = mostly(st.sampled_from([0, 1, 2]), int32s)  # an open enum: any int32 goes on the wire


# What str.isprintable() accepts, so well-formed names get past parsing and reach the database.
key_characters = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"),
    exclude_characters="/",
)


def well_formed_names(collection: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([f"{collection}/{key}" for key in ("L1", "L2", "L4", "M1", "O1")]),
        st.text(key_characters, min_size=1, max_size=64).map(f"{collection}/".__add__),
        st.sampled_from([f"{collection}/{'k' * 64}", f"{collection}/{'é' * 64}"]),
    )


def junk_names(collection: str) -> st.SearchStrategy[str]:
    prefixes = st.sampled_from(
        [
            *(f"{collection}{tail}" for tail in ("/", "", "//")),
            *(f"/{collection}/", f"{collection.upper()}/", "", "listings/", "agents/", "offices/"),
        ]
    )
    keys = st.one_of(st.sampled_from(["", "k" * 65, "a/b", " L1", "L1 "]), any_text, huge_text)
    return st.one_of(st.builds(lambda p, k: p + k, prefixes, keys), any_text)


def resource_names(collection: str) -> st.SearchStrategy[str]:
    return st.one_of(well_formed_names(collection), junk_names(collection))


listing_names = resource_names("listings")
name_lists = st.one_of(
    st.lists(mostly(well_formed_names("listings"), junk_names("listings")), max_size=10),
    st.builds(lambda name, n: [name] * n, listing_names, st.integers(0, 1200)),
    st.builds(
        lambda n, width: [f"listings/{i:0{width}d}" for i in range(n)],
        st.integers(0, 1200),
        st.integers(1, 80),
    ),
)

# --- strategies: filter ----------------------------------------------------------------------

TEXT_FIELDS = [
    "standard_status",
    "property_type",
    "property_sub_type",
    "city",
    "state_or_province",
    "postal_code",
    "list_agent_key",
    "list_office_key",
]
INT_FIELDS = ["bedrooms_total", "bathrooms_total", "year_built"]
TIME_FIELDS = ["modification_time", "modification_timestamp", "update_time"]
FILTER_FIELDS = [*TEXT_FIELDS, *INT_FIELDS, *TIME_FIELDS, "list_price", "living_area"]
JUNK_FIELDS = ["listing_key", "raw", "deleted_at", "Standard_Status", "x" * 300, "within", "and"]
OPERATORS = ["=", "!=", "<", "<=", ">", ">="]
HUGE_NUMBERS = [10**30, -(10**30), 2**31, 2**31 - 1, -(2**31), 2**63, 2**64, 10**400]
spaces = st.sampled_from([" ", "", "  ", "\t", "\n", "\u3000"])


def quoted(text: str, quote: str = '"') -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


integer_literals = st.one_of(st.integers().map(str), st.sampled_from(HUGE_NUMBERS).map(str))
money_literals = st.one_of(
    st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from([*HUGE_NUMBERS, "-0", "525000.50", "9" * 40 + ".99"]).map(str),
    integer_literals,
)
numbers = st.one_of(
    money_literals,
    st.decimals(allow_nan=False, allow_infinity=False).map(str),  # 1E+10, -0E-7, ...
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e309", "-1e309", "1e-400", ".5", "5.", "0.001", "1e2147483648"]),
    st.sampled_from(["1" + "0" * 1500, "0." + "0" * 300 + "1"]),
)
EDGE_TIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T00:00:00-00:01",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:59:59+00:01",
    "9999-12-31T23:59:59.999999999Z",
    "0000-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-12-31T23:59:60Z",
    "2024-05-01T00:00:00+24:00",
]
offsets = st.one_of(
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+00:01", "-00:01", "+23:59", "-23:59"]),
    st.builds(
        lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
        st.sampled_from("+-"),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
)
timestamps = st.one_of(
    st.sampled_from(EDGE_TIMES),
    st.builds(
        lambda y, mo, d, sep, h, mi, s, frac, off: (
            f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{off}"
        ),
        st.one_of(st.sampled_from([0, 1, 2, 1970, 2024, 9998, 9999]), st.integers(0, 9999)),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from("Tt "),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=12).map(".".__add__)),
        offsets,
    ),
)
text_values = st.one_of(
    st.sampled_from(["Active", "Austin", "Closed", '"Single Family Residence"', "''"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
    any_text.map(quoted),
    any_text.map(lambda t: quoted(t, "'")),
)
any_values = st.one_of(
    numbers,
    text_values,
    timestamps.map(quoted),
    timestamps,
    st.sampled_from(["", "(", ")", ",", "=", '"', '"\\', "NOT", "AND", "null", "true", "NaN"]),
)


def comparisons(
    fields: list[str], values: st.SearchStrategy[str], operators: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    return st.builds(
        lambda f, s1, op, s2, v: f"{f}{s1}{op}{s2}{v}",
        st.sampled_from(fields),
        spaces,
        operators,
        spaces,
        values,
    )


def within(name: str, args: list[str]) -> str:
    return f"{name}({', '.join(args)})"


ops = st.sampled_from(OPERATORS)
# Comparisons a well-meaning caller might write, including edge values: mostly valid filters.
typed_atoms = st.one_of(
    comparisons(TEXT_FIELDS, text_values, ops),
    comparisons(INT_FIELDS, integer_literals, ops),
    comparisons(["list_price"], money_literals, ops),
    comparisons(["living_area"], numbers, ops),
    comparisons(TIME_FIELDS, timestamps.map(quoted), ops),
    st.builds(
        lambda name, lat, lon: within(
            name, [repr(min(lat)), repr(lon[0]), repr(max(lat)), repr(lon[1])]
        ),
        st.sampled_from(["within", "bbox"]),
        st.tuples(st.floats(-90, 90), st.floats(-90, 90)),
        st.tuples(st.floats(-180, 180), st.floats(-180, 180)),
    ),
)
junk_atoms = st.one_of(
    comparisons(
        FILTER_FIELDS + JUNK_FIELDS,
        any_values,
        st.one_of(ops, st.sampled_from(["==", "=~", ":", "<>", "=<", ""])),
    ),
    st.builds(
        within,
        st.sampled_from(["within", "bbox", "WITHIN", "near"]),
        st.lists(st.one_of(numbers, st.sampled_from(["nan", "inf", "-90", "180"])), max_size=6),
    ),
)


def expressions(atoms: st.SearchStrategy[str], joins: list[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            inner.map("NOT ".__add__),
            inner.map(lambda e: f"({e})"),
            st.builds(lambda a, op, b: f"{a}{op}{b}", inner, st.sampled_from(joins), inner),
        ),
        max_leaves=6,
    )


def repeat_around(prefix: str, suffix: str, most: int) -> st.SearchStrategy[str]:
    return st.builds(
        lambda n, atom: prefix * n + atom + suffix * n,
        st.one_of(st.integers(0, most), st.integers(0, 10 * most)),
        typed_atoms,
    )


JOINS = [" AND ", " OR ", " AND NOT ", " OR NOT "]
# One comparison with an edge value: control characters and NUL in text, numbers beyond any
# column type, the first and last representable instants shifted by an offset.
edge_comparisons = st.one_of(
    comparisons(
        TEXT_FIELDS,
        st.one_of(
            st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=4),
            st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=3), st.text(max_size=3)),
        ).map(quoted),
        ops,
    ),
    comparisons(
        [*INT_FIELDS, "list_price", "living_area"],
        st.one_of(st.sampled_from(HUGE_NUMBERS).map(str), st.integers(2**31).map(str)),
        ops,
    ),
    comparisons(["list_price"], st.integers(10**15, 10**40).map(str), ops),
    comparisons(TIME_FIELDS, st.sampled_from(EDGE_TIMES).map(quoted), ops),
)
# Nesting and chaining up to and far beyond what the filter's length limit lets through.
deep_expressions = st.one_of(
    repeat_around("NOT ", "", 500),
    repeat_around("(", ")", 40),
    repeat_around("NOT (", ")", 40),
    repeat_around("(NOT ", ")", 40),
    st.builds(
        lambda n, atom, op: op.join([atom] * n),
        st.one_of(st.integers(1, 200), st.integers(1, 2000)),
        typed_atoms,
        st.sampled_from(JOINS),
    ),
    st.builds(lambda n: "(" * n, st.integers(0, 3000)),
)
FILTER_TOKENS = ["(", ")", ",", "AND", "OR", "NOT", *OPERATORS, "within", "city", "list_price"]
FILTER_TOKENS += ['"', "'", "\\", "1", "-", ".", "e", "\x00", '"2024-05-01T00:00:00Z"']
filters = st.one_of(
    st.just(""),
    expressions(typed_atoms, JOINS),
    edge_comparisons,
    deep_expressions,
    expressions(st.one_of(typed_atoms, junk_atoms), [*JOINS, " and ", " ", "AND", "OR OR"]),
    st.one_of(st.lists(st.sampled_from(FILTER_TOKENS), max_size=40).map(" ".join), any_text),
)

# --- strategies: order_by --------------------------------------------------------------------

ORDER_FIELDS = [
    "listing_key",
    "list_price",
    "modification_time",
    "update_time",
    "bedrooms_total",
    "bathrooms_total",
    "living_area",
    "year_built",
    "city",
    "postal_code",
]
valid_order_bys = st.builds(
    lambda keys: ", ".join(f"{key}{direction}" for key, direction in keys),
    st.lists(
        st.tuples(st.sampled_from(ORDER_FIELDS), st.sampled_from(["", " desc", " asc"])),
        max_size=4,
        unique_by=lambda key: key[0],
    ),
)
order_keys = st.builds(
    lambda f, d: f + d,
    st.sampled_from([*ORDER_FIELDS, "modification_timestamp", "standard_status", "raw", ""]),
    st.sampled_from(["", " desc", " asc", " DESC", " desc desc", "\tdesc"]),
)
junk_order_bys = st.one_of(
    st.builds(
        lambda keys, sep: sep.join(keys),
        st.lists(order_keys, max_size=12),
        st.sampled_from([", ", ",", " , ", ",,", " "]),
    ),
    st.builds(lambda key, n: ", ".join([key] * n), order_keys, st.integers(1, 3000)),
    any_text,
)

# --- strategies: page tokens -----------------------------------------------------------------

FINGERPRINT = "<the fingerprint of the bound request>"
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([*HUGE_NUMBERS, -(2**63) - 1]),
    st.floats(),  # NaN and Infinity too: json.loads accepts them
    st.text(utf8, max_size=20),
    timestamps,
    st.sampled_from(["NaN", "sNaN", "-Infinity", "1E+999999999", "1e-999999999", "9" * 400]),
    st.sampled_from(["2024-05-01", "2024-05-01T12:00:00", "12:00", " 1", "1_000", "", "\x00"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner)
    ),
    max_leaves=4,
)
documents = st.one_of(
    st.fixed_dictionaries(
        {
            "v": st.one_of(st.just(2), json_scalars),
            "q": st.one_of(st.just(FINGERPRINT), json_scalars),
            "e": st.one_of(st.just(4_102_444_800), json_scalars),
            "p": st.one_of(st.lists(json_values, max_size=5), json_values),
        }
    ),
    json_values,
)


@dataclass(frozen=True)
class PageToken:
    """A page_token built from a real one the server issued. ``kind``: ``real`` (as issued),
    ``tampered`` (one character replaced), ``mutated`` (its position with one element replaced
    by ``value``, re-signed), ``forged`` (the JSON document ``value``, signed), ``forged_raw``
    (the payload bytes ``value``, signed). Unless ``keep_request``, the request takes the fields
    the real token is bound to, so the token gets past the server's query check."""

    kind: str
    value: Any = None
    index: int = 0
    keep_request: bool = False


def bound_tokens(kind: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[PageToken]:
    return st.builds(
        PageToken,
        kind=st.just(kind),
        value=values,
        index=st.integers(0, 15),
        keep_request=st.sampled_from([False, False, False, True]),
    )


page_tokens = st.one_of(
    bound_tokens("real", st.none()),
    bound_tokens("tampered", st.tuples(st.integers(0, 200), st.sampled_from("A_-=+/.!\x00é"))),
    bound_tokens("mutated", st.tuples(st.integers(0, 7), json_values)),
    bound_tokens("mutated", st.tuples(st.integers(0, 7), timestamps)),
    # Edge values of each sort-key type in a position the server signed: the likeliest to crash.
    bound_tokens(
        "mutated",
        st.tuples(
            st.integers(0, 7),
            st.sampled_from(
                [*EDGE_TIMES, *HUGE_NUMBERS, float("nan"), float("inf"), "\x00", "", None]
            ),
        ),
    ),
    bound_tokens("forged", documents),
    bound_tokens("forged_raw", st.binary(max_size=64)),
)
junk_page_tokens = st.one_of(
    any_text,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/"),
    st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()),
)

# --- the server under test -------------------------------------------------------------------
