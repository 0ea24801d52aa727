"""OData query options, pure (no I/O, no knowledge of how rows are stored):

- ``lexer``: ``$filter`` tokens; ``parser``: recursive descent into ``nodes``;
- ``typecheck``: fields and operand types against the served schema;
- ``evaluate``: a checked tree compiled into a predicate; ``hints``: index hints for the store;
- ``options``: ``$select/$orderby/$top/$skip/$count/$expand``, ``replication`` and the limits.
"""

from wonder.sandbox.trestle.odata.errors import ODataError
from wonder.sandbox.trestle.odata.evaluate import Getter, Predicate, compile_filter
from wonder.sandbox.trestle.odata.hints import Bound, key_values, lower_bound
from wonder.sandbox.trestle.odata.lexer import Token, tokenize
from wonder.sandbox.trestle.odata.nodes import (
    BoolOp,
    Call,
    Compare,
    FieldRef,
    InList,
    Literal,
    Node,
    Not,
)
from wonder.sandbox.trestle.odata.options import (
    DEFAULT_TOP,
    KEY_INDEX_FIELDS,
    MAX_DEPTH,
    MAX_TOP,
    MAX_TOP_KEYS_ONLY,
    Expand,
    Query,
    keys_only,
    parse_query,
)
from wonder.sandbox.trestle.odata.parser import parse_date, parse_filter, parse_timestamp
from wonder.sandbox.trestle.odata.typecheck import check, field_type

__all__ = [
    "DEFAULT_TOP",
    "KEY_INDEX_FIELDS",
    "MAX_DEPTH",
    "MAX_TOP",
    "MAX_TOP_KEYS_ONLY",
    "BoolOp",
    "Bound",
    "Call",
    "Compare",
    "Expand",
    "FieldRef",
    "Getter",
    "InList",
    "Literal",
    "Node",
    "Not",
    "ODataError",
    "Predicate",
    "Query",
    "Token",
    "check",
    "compile_filter",
    "field_type",
    "key_values",
    "keys_only",
    "lower_bound",
    "parse_date",
    "parse_filter",
    "parse_query",
    "parse_timestamp",
    "tokenize",
]
