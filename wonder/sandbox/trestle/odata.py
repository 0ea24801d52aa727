"""OData query options: a tokenizer and recursive-descent ``$filter`` parser, type checking
against the served schema, evaluation, and validation of ``$select/$orderby/$top/$skip/$count/
$expand``. Pure: no I/O, no knowledge of how rows are stored.

Internal value representation (what row getters return and literals become):
strings/enums as ``str``, numbers as ``int``/``float``, booleans as ``bool``, dates as ISO
``YYYY-MM-DD`` strings, timestamps as ``int`` epoch microseconds, null as ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from wonder.sandbox.clock import to_micros
from wonder.sandbox.trestle.schema import ENUM_NAMESPACE, EntityType, FieldType, Kind


class ODataError(Exception):
    """A client error the service answers with an OData error body."""

    def __init__(self, message: str, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or str(status)


# ---------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<punct>[(),])
  | (?P<string>'(?:[^']|'')*')
  | (?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[mMdDfFlL])?)
  | (?P<enum>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # punct, string, timestamp, date, number, enum, name, end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise ODataError(f"Invalid $filter: unexpected character at position {pos}")
        kind = match.lastgroup
        assert kind is not None
        if kind == "string" and match.end() < len(text) and text[match.end()] == "'":
            raise ODataError(f"Invalid $filter: unterminated string at position {pos}")
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Literal:
    kind: str  # string, int, decimal, bool, null, date, timestamp, enum
    value: object
    enum_type: str | None = None


@dataclass(frozen=True)
class FieldRef:
    name: str


@dataclass(frozen=True)
class Compare:
    op: str  # eq ne gt ge lt le has
    left: Node
    right: Node


@dataclass(frozen=True)
class InList:
    subject: Node
    items: tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # and / or
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Literal | FieldRef | Compare | InList | BoolOp | Not | Call

COMPARISON_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "has"})
STRING_FUNCTIONS = {"contains": 2, "startswith": 2, "endswith": 2, "tolower": 1, "toupper": 1}


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'")


def parse_timestamp(text: str) -> int:
    """An OData DateTimeOffset literal as epoch microseconds (fractions beyond µs dropped)."""
    match = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})",
        text,
    )
    if match is None:
        raise ODataError(f"Invalid DateTimeOffset literal {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone == "Z":
        tz: timezone = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ODataError(f"Invalid DateTimeOffset literal {text!r}") from exc
    return to_micros(moment)


def parse_date(text: str) -> str:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError as exc:
        raise ODataError(f"Invalid Date literal {text!r}") from exc
    return text


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect_punct(self, char: str) -> None:
        token = self.take()
        if token.kind != "punct" or token.text != char:
            raise ODataError(f"Invalid $filter: expected {char!r} at position {token.pos}")

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token.kind == "name" and token.text in words:
            self.index += 1
            return token.text
        return None

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            raise ODataError(f"Invalid $filter: unexpected {token.text!r} at position {token.pos}")
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.keyword("or"):
            node = BoolOp("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_comparison()
        while self.keyword("and"):
            node = BoolOp("and", node, self.parse_comparison())
        return node

    def parse_unary(self) -> Node:
        # OData: the unary 'not' binds tighter than the comparisons, so `not A eq B` is
        # `(not A) eq B` (a type error unless A is boolean); negate a comparison with parentheses.
        if self.keyword("not"):
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_comparison(self) -> Node:
        left = self.parse_unary()
        op = self.keyword(*COMPARISON_OPS)
        if op is not None:
            return Compare(op, left, self.parse_primary())
        if self.keyword("in"):
            self.expect_punct("(")
            items: list[Literal] = []
            while True:
                item = self.parse_primary()
                if not isinstance(item, Literal):
                    raise ODataError("Invalid $filter: 'in' takes a list of literals")
                items.append(item)
                token = self.take()
                if token.kind == "punct" and token.text == ")":
                    break
                if not (token.kind == "punct" and token.text == ","):
                    raise ODataError(f"Invalid $filter: expected ',' or ')' at {token.pos}")
            return InList(left, tuple(items))
        return left

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "punct" and token.text == "(":
            node = self.parse_or()
            self.expect_punct(")")
            return node
        if token.kind == "string":
            return Literal("string", _unquote(token.text))
        if token.kind == "timestamp":
            return Literal("timestamp", parse_timestamp(token.text))
        if token.kind == "date":
            return Literal("date", parse_date(token.text))
        if token.kind == "number":
            return _number(token.text)
        if token.kind == "enum":
            qualified, _, rest = token.text.partition("'")
            return Literal("enum", _unquote("'" + rest), qualified)
        if token.kind == "name":
            if token.text in ("true", "false"):
                return Literal("bool", token.text == "true")
            if token.text == "null":
                return Literal("null", None)
            if self.peek().kind == "punct" and self.peek().text == "(":
                return self.parse_call(token)
            if token.text in COMPARISON_OPS or token.text in ("and", "or", "not", "in"):
                raise ODataError(f"Invalid $filter: unexpected {token.text!r} at {token.pos}")
            return FieldRef(token.text)
        raise ODataError(f"Invalid $filter: unexpected {token.text or 'end'!r} at {token.pos}")

    def parse_call(self, name: Token) -> Node:
        arity = STRING_FUNCTIONS.get(name.text)
        if arity is None:
            raise ODataError(f"Unsupported function {name.text!r} in $filter")
        self.expect_punct("(")
        args = [self.parse_or()]
        while self.peek().kind == "punct" and self.peek().text == ",":
            self.take()
            args.append(self.parse_or())
        self.expect_punct(")")
        if len(args) != arity:
            raise ODataError(f"Function {name.text!r} takes {arity} argument(s)")
        return Call(name.text, tuple(args))


def _number(text: str) -> Literal:
    body = text.rstrip("mMdDfFlL")
    if re.fullmatch(r"[+-]?\d+", body):
        return Literal("int", int(body))
    return Literal("decimal", float(body))


def parse_filter(text: str) -> Node:
    if not text.strip():
        raise ODataError("Invalid $filter: empty expression")
    return _Parser(text).parse()


# ---------------------------------------------------------------- type checking

_LITERAL_FITS: dict[Kind, frozenset[str]] = {
    Kind.STRING: frozenset({"string"}),
    Kind.INT: frozenset({"int"}),
    Kind.DECIMAL: frozenset({"int", "decimal"}),
    Kind.BOOL: frozenset({"bool"}),
    Kind.DATE: frozenset({"date"}),
    Kind.TIMESTAMP: frozenset({"timestamp"}),
    Kind.ENUM: frozenset({"string", "enum"}),
    Kind.MULTI_ENUM: frozenset({"string", "enum"}),
}


def _field(entity: EntityType, name: str) -> FieldType:
    found = entity.fields.get(name)
    if found is None:
        raise ODataError(
            f"Could not find a property named '{name}' on type 'org.reso.metadata.{entity.name}'."
        )
    return found


def _check_literal(target: FieldType, literal: Literal, op: str) -> None:
    if literal.kind == "null":
        if op not in ("eq", "ne"):
            raise ODataError(f"null can only be compared with eq/ne, not {op}")
        return
    if literal.kind not in _LITERAL_FITS[target.kind]:
        raise ODataError(
            f"A binary operator with incompatible types was detected: field '{target.name}' "
            f"({target.kind.value}) compared with a {literal.kind} literal."
        )
    if literal.kind == "enum" and literal.enum_type != f"{ENUM_NAMESPACE}.{target.enum_name}":
        raise ODataError(f"Enum literal type {literal.enum_type} does not match '{target.name}'")
    checks_members = target.kind is Kind.ENUM or (target.kind is Kind.MULTI_ENUM and op == "has")
    if checks_members and target.members:
        value = str(literal.value)
        if value not in target.members:
            raise ODataError(f"'{value}' is not a member of the enumeration {target.enum_name}")


def check(node: Node, entity: EntityType) -> None:
    """Raise ODataError for unknown fields and mismatched types."""
    if isinstance(node, BoolOp):
        check(node.left, entity)
        check(node.right, entity)
    elif isinstance(node, Not):
        check(node.operand, entity)
    elif isinstance(node, FieldRef):
        target = _field(entity, node.name)
        if target.kind is not Kind.BOOL:
            raise ODataError(f"'{node.name}' is not a boolean expression")
    elif isinstance(node, Literal):
        if node.kind != "bool":
            raise ODataError("A $filter expression must be boolean")
    elif isinstance(node, Call):
        _check_call(node, entity, as_condition=True)
    elif isinstance(node, InList):
        if not isinstance(node.subject, FieldRef):
            raise ODataError("'in' needs a property on its left")
        target = _field(entity, node.subject.name)
        for item in node.items:
            _check_literal(target, item, "eq")
    else:
        _check_compare(node, entity)


def _check_call(node: Call, entity: EntityType, *, as_condition: bool) -> None:
    boolean = node.name in ("contains", "startswith", "endswith")
    if as_condition and not boolean:
        raise ODataError(f"{node.name}() does not return a boolean")
    if not as_condition and boolean:
        raise ODataError(f"{node.name}() returns a boolean; it cannot be compared")
    for arg in node.args:
        if isinstance(arg, FieldRef):
            if _field(entity, arg.name).kind not in (Kind.STRING, Kind.ENUM, Kind.MULTI_ENUM):
                raise ODataError(f"{node.name}() needs a string property, not '{arg.name}'")
        elif isinstance(arg, Literal):
            if arg.kind != "string":
                raise ODataError(f"{node.name}() needs string arguments")
        elif isinstance(arg, Call):
            _check_call(arg, entity, as_condition=False)
        else:
            raise ODataError(f"Invalid argument to {node.name}()")


def _check_compare(node: Compare, entity: EntityType) -> None:
    left, right = node.left, node.right
    if isinstance(left, Literal) and not isinstance(right, Literal):
        left, right = right, left
    if isinstance(left, Call):
        _check_call(left, entity, as_condition=False)
        if not (isinstance(right, Literal) and right.kind in ("string", "null")):
            raise ODataError(f"{left.name}() compares with a string literal")
        return
    if not isinstance(left, FieldRef):
        raise ODataError("A comparison needs a property on one side")
    target = _field(entity, left.name)
    if node.op == "has" and target.kind not in (Kind.ENUM, Kind.MULTI_ENUM):
        raise ODataError(f"'has' applies to enumerations, not '{left.name}'")
    if node.op in ("gt", "ge", "lt", "le") and target.kind in (Kind.BOOL, Kind.MULTI_ENUM):
        raise ODataError(f"'{node.op}' cannot order '{left.name}'")
    if isinstance(right, Literal):
        _check_literal(target, right, node.op)
    elif isinstance(right, FieldRef):
        other = _field(entity, right.name)
        same = other.kind == target.kind or (other.kind.numeric and target.kind.numeric)
        if not same:
            raise ODataError(f"Cannot compare '{left.name}' with '{right.name}'")
    else:
        raise ODataError("Unsupported comparison operand")


# ---------------------------------------------------------------- evaluation

Getter = Callable[[str], object]
Predicate = Callable[[Getter], bool]


def _ordered(op: str, a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    left: Any = a
    try:
        if op == "gt":
            return bool(left > b)
        if op == "ge":
            return bool(left >= b)
        if op == "lt":
            return bool(left < b)
        return bool(left <= b)
    except TypeError:  # a malformed record value never matches
        return False


def _split_multi(value: object) -> set[str]:
    if not isinstance(value, str) or not value:
        return set()
    return {part.strip() for part in value.split(",")}


def _value_fn(node: Node) -> Callable[[Getter], object]:
    if isinstance(node, Literal):
        constant = node.value
        return lambda get: constant
    if isinstance(node, FieldRef):
        name = node.name
        return lambda get: get(name)
    if isinstance(node, Call):
        args = [_value_fn(arg) for arg in node.args]
        if node.name == "tolower":
            return lambda get: _lower(args[0](get))
        if node.name == "toupper":
            return lambda get: _upper(args[0](get))
    raise ODataError("Unsupported expression")


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def compile_filter(node: Node) -> Predicate:
    """Turn a checked AST into a predicate over a field getter."""
    if isinstance(node, BoolOp):
        left, right = compile_filter(node.left), compile_filter(node.right)
        if node.op == "and":
            return lambda get: left(get) and right(get)
        return lambda get: left(get) or right(get)
    if isinstance(node, Not):
        inner = compile_filter(node.operand)
        return lambda get: not inner(get)
    if isinstance(node, FieldRef):
        name = node.name
        return lambda get: get(name) is True
    if isinstance(node, Literal):
        constant = bool(node.value)
        return lambda get: constant
    if isinstance(node, InList):
        subject = _value_fn(node.subject)
        values = {item.value for item in node.items}
        return lambda get: subject(get) in values
    if isinstance(node, Call):
        return _compile_string_predicate(node)
    return _compile_compare(node)


def _compile_string_predicate(node: Call) -> Predicate:
    haystack, needle = _value_fn(node.args[0]), _value_fn(node.args[1])

    def test(get: Getter) -> bool:
        a, b = haystack(get), needle(get)
        if not isinstance(a, str) or not isinstance(b, str):
            return False
        if node.name == "contains":
            return b in a
        if node.name == "startswith":
            return a.startswith(b)
        return a.endswith(b)

    return test


_FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "has": "has"}


def _compile_compare(node: Compare) -> Predicate:
    op, left_node, right_node = node.op, node.left, node.right
    if isinstance(left_node, Literal) and not isinstance(right_node, Literal):
        op, left_node, right_node = _FLIPPED[op], right_node, left_node
    left, right = _value_fn(left_node), _value_fn(right_node)
    if op == "eq":
        return lambda get: left(get) == right(get)
    if op == "ne":
        return lambda get: left(get) != right(get)
    if op == "has":
        return lambda get: str(right(get)) in _split_multi(left(get))
    return lambda get: _ordered(op, left(get), right(get))


# ---------------------------------------------------------------- index hints


@dataclass(frozen=True)
class Bound:
    value: object
    inclusive: bool


def lower_bound(node: Node, name: str) -> Bound | None:
    """A bound every matching row's ``name`` is at or above (None: no such bound is implied)."""
    if isinstance(node, BoolOp):
        left, right = lower_bound(node.left, name), lower_bound(node.right, name)
        if node.op == "and":
            candidates = [b for b in (left, right) if b is not None]
            if not candidates:
                return None
            return max(candidates, key=_bound_key)
        if left is None or right is None:
            return None
        return min((left, right), key=_bound_key)
    if isinstance(node, Compare):
        op, field_node, literal = node.op, node.left, node.right
        if isinstance(field_node, Literal):
            op, field_node, literal = _FLIPPED[op], literal, field_node
        if not (isinstance(field_node, FieldRef) and field_node.name == name):
            return None
        if not isinstance(literal, Literal) or literal.value is None:
            return None
        if op in ("gt", "ge", "eq"):
            return Bound(literal.value, op != "gt")
    return None


def _bound_key(bound: Bound) -> tuple[object, int]:
    # Among equal values an exclusive bound (gt) is the tighter one.
    return (bound.value, 0 if bound.inclusive else 1)


def key_values(node: Node, name: str) -> set[str] | None:
    """The finite set of values of ``name`` a matching row can have (None: unbounded)."""
    if isinstance(node, BoolOp):
        left, right = key_values(node.left, name), key_values(node.right, name)
        if node.op == "and":
            if left is None:
                return right
            if right is None:
                return left
            return left & right
        if left is None or right is None:
            return None
        return left | right
    if isinstance(node, Compare) and node.op == "eq":
        field_node, literal = node.left, node.right
        if isinstance(field_node, Literal):
            field_node, literal = literal, field_node
        if (
            isinstance(field_node, FieldRef)
            and field_node.name == name
            and isinstance(literal, Literal)
            and isinstance(literal.value, str)
        ):
            return {literal.value}
    if (
        isinstance(node, InList)
        and isinstance(node.subject, FieldRef)
        and node.subject.name == name
    ):
        return {item.value for item in node.items if isinstance(item.value, str)}
    return None


# ---------------------------------------------------------------- other query options

KEY_INDEX_FIELDS = frozenset(
    {
        "ListingKey",
        "ListingId",
        "ModificationTimestamp",
        "PhotosChangeTimestamp",
        "PhotosCount",
        "PostalCode",
        "StandardStatus",
    }
)
MAX_TOP = 1000
MAX_TOP_KEYS_ONLY = 300_000
MAX_DEPTH = 1_000_000
DEFAULT_TOP = 10
KNOWN_OPTIONS = frozenset(
    {"$filter", "$select", "$orderby", "$top", "$skip", "$count", "$expand", "$format"}
)


@dataclass(frozen=True)
class Expand:
    name: str
    select: tuple[str, ...] | None = None


@dataclass
class Query:
    entity: EntityType
    filter: Node | None = None
    predicate: Predicate | None = None
    select: tuple[str, ...] | None = None
    orderby: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    top: int = DEFAULT_TOP
    top_given: bool = False
    skip: int = 0
    count: bool = False
    expand: tuple[Expand, ...] = ()
    replication: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _parse_int(name: str, text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise ODataError(f"Invalid value for {name}: {text!r} (a non-negative integer)")
    return int(text)


def _parse_select(entity: EntityType, text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise ODataError("Invalid $select: empty")
    for name in names:
        if name != "*":
            _field(entity, name)
    return names


def _parse_orderby(entity: EntityType, text: str) -> tuple[tuple[str, bool], ...]:
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise ODataError(f"Invalid $orderby clause {part!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ODataError(f"Invalid $orderby direction {words[1]!r}")
        target = _field(entity, words[0])
        if target.kind is Kind.MULTI_ENUM:
            raise ODataError(f"Cannot order by the multi-value field '{words[0]}'")
        keys.append((words[0], direction == "desc"))
    return tuple(keys)


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _parse_expand(
    entity: EntityType, schema_entities: dict[str, EntityType], text: str
) -> tuple[Expand, ...]:
    expands: list[Expand] = []
    for part in _split_top_level(text):
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?", part)
        if match is None:
            raise ODataError(f"Invalid $expand clause {part!r}")
        name, options = match.group(1), match.group(2)
        target = entity.navigation.get(name)
        if target is None:
            raise ODataError(
                f"Could not find a navigation property named '{name}' on "
                f"'org.reso.metadata.{entity.name}'."
            )
        select: tuple[str, ...] | None = None
        if options:
            for option in options.split(";"):
                key, _, value = option.partition("=")
                if key.strip() != "$select":
                    raise ODataError(f"Unsupported option {key.strip()!r} inside $expand")
                select = _parse_select(schema_entities[target], value)
        expands.append(Expand(name, select))
    return tuple(expands)


def parse_query(
    entity: EntityType,
    schema_entities: dict[str, EntityType],
    params: Sequence[tuple[str, str]],
) -> Query:
    """Validate the query options of a collection request (limits included)."""
    query = Query(entity)
    seen: set[str] = set()
    for raw_name, value in params:
        name = raw_name.strip()
        if name in seen and name.startswith("$"):
            raise ODataError(f"Query option {name} given more than once")
        seen.add(name)
        if name == "$filter":
            query.filter = parse_filter(value)
            check(query.filter, entity)
            query.predicate = compile_filter(query.filter)
        elif name == "$select":
            query.select = _parse_select(entity, value)
        elif name == "$orderby":
            query.orderby = _parse_orderby(entity, value)
        elif name == "$top":
            query.top = _parse_int(name, value)
            query.top_given = True
        elif name == "$skip":
            query.skip = _parse_int(name, value)
        elif name == "$count":
            if value not in ("true", "false"):
                raise ODataError("Invalid $count: use true or false")
            query.count = value == "true"
        elif name == "$expand":
            query.expand = _parse_expand(entity, schema_entities, value)
        elif name == "$format":
            if value != "json":
                raise ODataError("Only $format=json is supported")
        elif name == "replication":
            if value.lower() not in ("true", "false"):
                raise ODataError("Invalid replication: use true or false")
            query.replication = value.lower() == "true"
        elif name.startswith("$"):
            raise ODataError(f"The query parameter '{name}' is not supported.")
        else:
            query.extra[name] = value
    _check_limits(query)
    return query


def keys_only(query: Query) -> bool:
    return (
        query.select is not None
        and not query.expand
        and all(name in KEY_INDEX_FIELDS for name in query.select)
    )


def _check_limits(query: Query) -> None:
    limit = MAX_TOP_KEYS_ONLY if query.entity.name == "Property" and keys_only(query) else MAX_TOP
    if query.top > limit:
        hint = (
            f"; up to {MAX_TOP_KEYS_ONLY} when $select names only key fields "
            f"({', '.join(sorted(KEY_INDEX_FIELDS))})"
            if limit == MAX_TOP and query.entity.name == "Property"
            else ""
        )
        raise ODataError(f"$top must not exceed {limit}{hint}.")
    if query.skip + query.top > MAX_DEPTH:
        raise ODataError(
            f"Query reaches {query.skip + query.top} rows deep; the limit is {MAX_DEPTH}. "
            "Use replication=true to read a whole resource."
        )
    if query.replication:
        if query.skip:
            raise ODataError("$skip cannot be used with replication=true")
        if query.orderby and query.orderby != ((query.entity.key, False),):
            raise ODataError(f"replication=true orders by {query.entity.key} only")
