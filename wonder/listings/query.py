"""The listing query language, parsed into typed values (pure: no I/O, no SQL).

- ``filter``: an AIP-160 subset, tokenized and parsed by recursive descent into a small AST over
  a whitelist of typed fields; every error names its character position.
- ``order_by``: AIP-132 ``field [desc], ...`` over a whitelist, always ending with
  ``listing_key`` so the order is total and keyset paging is stable.
- keyset positions: the sort-key values of the last row of a page, to and from the JSON carried
  by a page token.
- resource names (``listings/{listing_key}``) and page sizes.

Callers turn :class:`InvalidArgument` into INVALID_ARGUMENT with a BadRequest field violation.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from wonder.pagetoken import JsonScalar

MAX_FILTER_LENGTH = 2000
# Parentheses and NOTs together; deeper filters are refused before they reach Python's recursion
# limit or SQLite's parser stack (which overflowed from 45 nested NOTs).
MAX_FILTER_DEPTH = 16
MAX_KEY_LENGTH = 64
MAX_ORDER_BY_LENGTH = 512
# What an error message repeats of a caller's input, at most.
MAX_ECHO_CHARS = 80
# NUMERIC(14, 2): money columns hold at most 12 digits before the point.
MAX_MONEY = Decimal("1e12")
_INT64 = 2**63


def echo(value: str) -> str:
    """``value`` quoted for an error message, cut to MAX_ECHO_CHARS."""
    if len(value) <= MAX_ECHO_CHARS:
        return repr(value)
    return repr(value[:MAX_ECHO_CHARS]) + f"... ({len(value)} characters)"


class InvalidArgument(ValueError):
    """A caller's mistake in one request field."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class FilterError(InvalidArgument):
    """The filter does not parse or names a field or value it may not."""

    def __init__(self, description: str, position: int) -> None:
        # Positions are 1-based character offsets into the filter string.
        super().__init__("filter", f"{description} (at character {position})")
        self.position = position


# --- fields ----------------------------------------------------------------------------------


class FieldType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "number"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class FieldSpec:
    """A field consumers may filter or sort on: its API name, column attribute and type."""

    name: str
    column: str
    type: FieldType
    nullable: bool = True


def _fields(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in specs}


_S, _I, _D, _F, _T = (
    FieldType.STRING,
    FieldType.INTEGER,
    FieldType.DECIMAL,
    FieldType.FLOAT,
    FieldType.TIMESTAMP,
)
LISTING_KEY = FieldSpec("listing_key", "listing_key", _S, nullable=False)
MODIFICATION_TIME = FieldSpec("modification_time", "modification_timestamp", _T, nullable=False)
UPDATE_TIME = FieldSpec("update_time", "updated_at", _T, nullable=False)
LIST_PRICE = FieldSpec("list_price", "list_price", _D)

_COMMON = _fields(
    LIST_PRICE,
    MODIFICATION_TIME,
    UPDATE_TIME,
    FieldSpec("bedrooms_total", "bedrooms_total", _I),
    FieldSpec("bathrooms_total", "bathrooms_total", _I),
    FieldSpec("living_area", "living_area", _F),
    FieldSpec("year_built", "year_built", _I),
    FieldSpec("city", "city", _S),
    FieldSpec("postal_code", "postal_code", _S),
)
# Old RESO spelling accepted wherever the AIP name is.
_ALIASES = {"modification_timestamp": MODIFICATION_TIME}

FILTER_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {
        **_COMMON,
        **_ALIASES,
        **_fields(
            FieldSpec("standard_status", "standard_status", _S),
            FieldSpec("property_type", "property_type", _S),
            FieldSpec("property_sub_type", "property_sub_type", _S),
            FieldSpec("state_or_province", "state_or_province", _S),
            FieldSpec("list_agent_key", "list_agent_key", _S),
            FieldSpec("list_office_key", "list_office_key", _S),
        ),
    }
)
ORDER_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {**_COMMON, **_ALIASES, LISTING_KEY.name: LISTING_KEY}
)

# The fixed orders of the listing's sub-collections, as keyset positions.
MEDIA_POSITION = (
    FieldSpec("order", "order", _I),
    FieldSpec("media_key", "media_key", _S, nullable=False),
)
HISTORY_POSITION = (
    FieldSpec("change_time", "changed_at", _T, nullable=False),
    FieldSpec("id", "id", _I, nullable=False),
)

# --- filter AST ------------------------------------------------------------------------------


class CompareOp(enum.Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


FilterValue = str | int | Decimal | float | datetime


@dataclass(frozen=True)
class Comparison:
    field: FieldSpec
    op: CompareOp
    value: FilterValue


@dataclass(frozen=True)
class Within:
    """A bounding box in decimal degrees; ``west > east`` crosses the antimeridian."""

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True)
class And:
    operands: tuple[FilterExpr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[FilterExpr, ...]


@dataclass(frozen=True)
class Not:
    operand: FilterExpr


FilterExpr = Comparison | Within | And | Or | Not


def canonical_filter(expr: FilterExpr | None) -> str:
    """A normalized rendering: equal for filters that differ only in spacing or aliases."""
    match expr:
        case None:
            return ""
        case Comparison(field, op, value):
            rendered = value.isoformat() if isinstance(value, datetime) else repr(value)
            return f"{field.name} {op.value} {rendered}"
        case Within(south, west, north, east):
            return f"within({south!r}, {west!r}, {north!r}, {east!r})"
        case And(operands):
            return "(" + " AND ".join(canonical_filter(o) for o in operands) + ")"
        case Or(operands):
            return "(" + " OR ".join(canonical_filter(o) for o in operands) + ")"
        case Not(operand):
            return f"NOT {canonical_filter(operand)}"
    raise AssertionError(f"unknown filter node {expr!r}")  # pragma: no cover


# --- tokenizer -------------------------------------------------------------------------------


class _Kind(enum.Enum):
    IDENT = "identifier"
    STRING = "string"
    NUMBER = "number"
    OP = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    END = "end of filter"


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str
    position: int  # 1-based

    def describe(self) -> str:
        return "end of filter" if self.kind is _Kind.END else f"'{self.text}'"


_NUMBER_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = {"AND": _Kind.AND, "OR": _Kind.OR, "NOT": _Kind.NOT}
_PUNCTUATION = {"(": _Kind.LPAREN, ")": _Kind.RPAREN, ",": _Kind.COMMA}
_OPERATORS = ("<=", ">=", "!=", "=", "<", ">")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        start = i + 1
        if char in _PUNCTUATION:
            tokens.append(_Token(_PUNCTUATION[char], char, start))
            i += 1
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            tokens.append(_Token(_Kind.OP, op, start))
            i += len(op)
        elif char in "\"'":
            value, i = _read_string(text, i)
            tokens.append(_Token(_Kind.STRING, value, start))
        elif number := _NUMBER_RE.match(text, i):
            end = number.end()
            if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                raise FilterError(f"malformed number '{text[i : end + 1]}'", start)
            tokens.append(_Token(_Kind.NUMBER, number.group(), start))
            i = end
        elif word := _IDENT_RE.match(text, i):
            tokens.append(_Token(_KEYWORDS.get(word.group(), _Kind.IDENT), word.group(), start))
            i = word.end()
        else:
            raise FilterError(f"unexpected character '{char}'", start)
    tokens.append(_Token(_Kind.END, "", len(text) + 1))
    return tokens


def _read_string(text: str, i: int) -> tuple[str, int]:
    quote, start, chars = text[i], i + 1, []
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                break
            chars.append(text[i + 1])
            i += 2
        elif char == quote:
            return "".join(chars), i + 1
        else:
            chars.append(char)
            i += 1
    raise FilterError("unterminated string", start)


# --- parser ----------------------------------------------------------------------------------


def parse_filter(text: str) -> FilterExpr | None:
    """The AST of an AIP-160 filter; ``None`` for an empty filter (everything matches)."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidArgument("filter", f"longer than {MAX_FILTER_LENGTH} characters")
    if not text.strip():
        return None
    return _Parser(_tokenize(text)).parse()


class _Parser:
    # expression := sequence { AND sequence }; sequence := term { OR term } (AIP-160: OR binds
    # tighter than AND); term := [NOT] simple; simple := comparison | function | ( expression )

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0
        self._depth = 0

    def parse(self) -> FilterExpr:
        expr = self._expression()
        token = self._peek()
        if token.kind is _Kind.RPAREN:
            raise FilterError("unbalanced ')'", token.position)
        if token.kind is not _Kind.END:
            hint = " (keywords are upper case)" if token.text.upper() in _KEYWORDS else ""
            raise FilterError(f"expected AND or OR, found {token.describe()}{hint}", token.position)
        return expr

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        if token.kind is not _Kind.END:
            self._index += 1
        return token

    def _expect(self, kind: _Kind, what: str) -> _Token:
        token = self._next()
        if token.kind is not kind:
            raise FilterError(f"expected {what}, found {token.describe()}", token.position)
        return token

    def _expression(self) -> FilterExpr:
        operands = [self._sequence()]
        while self._peek().kind is _Kind.AND:
            self._next()
            operands.append(self._sequence())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _sequence(self) -> FilterExpr:
        operands = [self._term()]
        while self._peek().kind is _Kind.OR:
            self._next()
            operands.append(self._term())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > MAX_FILTER_DEPTH:
            raise FilterError(
                f"nested deeper than {MAX_FILTER_DEPTH} levels (parentheses and NOTs)",
                token.position,
            )

    def _term(self) -> FilterExpr:
        token = self._peek()
        if token.kind is _Kind.NOT:
            self._next()
            self._enter(token)
            operand = self._term()
            self._depth -= 1
            return Not(operand)
        return self._simple()

    def _simple(self) -> FilterExpr:
        token = self._next()
        if token.kind is _Kind.LPAREN:
            self._enter(token)
            expr = self._expression()
            self._expect(_Kind.RPAREN, "')'")
            self._depth -= 1
            return expr
        if token.kind is not _Kind.IDENT:
            raise FilterError(
                f"expected a field name, a function or '(', found {token.describe()}",
                token.position,
            )
        if self._peek().kind is _Kind.LPAREN:
            return self._function(token)
        return self._comparison(token)

    def _function(self, name: _Token) -> Within:
        if name.text not in ("within", "bbox"):
            raise FilterError(
                f"unknown function '{name.text}' (supported: within, bbox)", name.position
            )
        self._next()  # "("
        args: list[float] = []
        while True:
            token = self._next()
            if token.kind is not _Kind.NUMBER:
                raise FilterError(
                    f"{name.text}() takes four numbers (degrees), found {token.describe()}",
                    token.position,
                )
            args.append(float(token.text))
            separator = self._next()
            if separator.kind is _Kind.RPAREN:
                break
            if separator.kind is not _Kind.COMMA:
                raise FilterError(
                    f"expected ',' or ')', found {separator.describe()}", separator.position
                )
        if len(args) != 4:
            raise FilterError(
                f"{name.text}() takes 4 arguments (south, west, north, east), got {len(args)}",
                name.position,
            )
        south, west, north, east = args
        if not (-90 <= south <= north <= 90):
            raise FilterError(
                f"{name.text}(): latitudes must satisfy -90 <= south <= north <= 90",
                name.position,
            )
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise FilterError(
                f"{name.text}(): longitudes must lie within [-180, 180]", name.position
            )
        return Within(south, west, north, east)

    def _comparison(self, name: _Token) -> Comparison:
        field = FILTER_FIELDS.get(name.text)
        if field is None:
            known = ", ".join(sorted(FILTER_FIELDS))
            raise FilterError(
                f"unknown field {echo(name.text)} (filterable fields: {known})", name.position
            )
        op_token = self._next()
        if op_token.kind is not _Kind.OP:
            raise FilterError(
                f"expected a comparison operator (= != < <= > >=) after '{name.text}', "
                f"found {op_token.describe()}",
                op_token.position,
            )
        value_token = self._next()
        value = _convert(field, value_token)
        return Comparison(field, CompareOp(op_token.text), value)


_INTEGER_RE = re.compile(r"-?\d+")
_MONEY_RE = re.compile(r"-?\d+(?:\.\d{1,2})?")
_RFC3339_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)
_INT_LIMIT = 2**31


def _convert(field: FieldSpec, token: _Token) -> FilterValue:
    def wrong(expected: str) -> FilterError:
        return FilterError(
            f"field '{field.name}' takes {expected}, found {token.describe()}", token.position
        )

    if token.kind not in (_Kind.STRING, _Kind.NUMBER, _Kind.IDENT):
        raise wrong("a value")
    match field.type:
        case FieldType.STRING:
            if "\x00" in token.text:
                raise wrong("text without NUL characters")
            return token.text
        case FieldType.INTEGER:
            if token.kind is not _Kind.NUMBER or not _INTEGER_RE.fullmatch(token.text):
                raise wrong("an integer")
            number = int(token.text)
            if not -_INT_LIMIT < number < _INT_LIMIT:
                raise wrong("an integer within 32 bits")
            return number
        case FieldType.DECIMAL:
            if token.kind is not _Kind.NUMBER or not _MONEY_RE.fullmatch(token.text):
                raise wrong("a USD amount with at most two decimals, e.g. 525000 or 525000.50")
            amount = Decimal(token.text)
            if abs(amount) >= MAX_MONEY:
                raise wrong(f"an amount below {MAX_MONEY:,.0f} in absolute value")
            return amount
        case FieldType.FLOAT:
            if token.kind is not _Kind.NUMBER:
                raise wrong("a number")
            real = float(token.text)
            if not math.isfinite(real):
                raise wrong("a finite number")
            return real
        case FieldType.TIMESTAMP:
            if token.kind is not _Kind.STRING:
                raise wrong('an RFC 3339 timestamp in double quotes, e.g. "2024-05-01T00:00:00Z"')
            parsed = parse_rfc3339(token.text)
            if parsed is None:
                raise wrong('an RFC 3339 timestamp, e.g. "2024-05-01T00:00:00Z"')
            return parsed
    raise AssertionError(field.type)  # pragma: no cover


def parse_rfc3339(text: str) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 timestamp (offset required), or None."""
    match = _RFC3339_RE.fullmatch(text)
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    zone = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micros}{zone}").astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. 0001-01-01T00:00:00+00:01 is before year 1 in UTC
        return None


# --- order_by --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderKey:
    field: FieldSpec
    descending: bool = False


DEFAULT_ORDER: tuple[OrderKey, ...] = (OrderKey(LISTING_KEY),)


def parse_order_by(text: str) -> tuple[OrderKey, ...]:
    """``"list_price desc, modification_time"`` -> keys, ending with ``listing_key``."""
    if len(text) > MAX_ORDER_BY_LENGTH:
        raise InvalidArgument("order_by", f"longer than {MAX_ORDER_BY_LENGTH} characters")
    if not text.strip():
        return DEFAULT_ORDER
    keys: list[OrderKey] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            raise InvalidArgument("order_by", "empty sort field (stray ',')")
        if len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise InvalidArgument(
                "order_by", f"{echo(part.strip())}: expected '<field>' or '<field> desc'"
            )
        field = ORDER_FIELDS.get(words[0])
        if field is None:
            known = ", ".join(sorted(ORDER_FIELDS))
            raise InvalidArgument(
                "order_by", f"unknown sort field {echo(words[0])} (sortable fields: {known})"
            )
        if any(key.field == field for key in keys):
            raise InvalidArgument("order_by", f"field {echo(words[0])} appears twice")
        keys.append(OrderKey(field, descending=len(words) == 2 and words[1] == "desc"))
    if not any(key.field == LISTING_KEY for key in keys):
        keys.append(OrderKey(LISTING_KEY))
    return tuple(keys)


def canonical_order_by(keys: Sequence[OrderKey]) -> str:
    return ", ".join(f"{k.field.name}{' desc' if k.descending else ''}" for k in keys)


# --- keyset positions ------------------------------------------------------------------------

SortValue = str | int | Decimal | float | datetime | None


def position_to_json(fields: Sequence[FieldSpec], values: Sequence[SortValue]) -> list[JsonScalar]:
    """The sort-key values of a row in a JSON-safe form (exact: decimals and times as text)."""
    out: list[JsonScalar] = []
    for field, value in zip(fields, values, strict=True):
        if value is None:
            out.append(None)
        elif field.type is FieldType.DECIMAL or field.type is FieldType.TIMESTAMP:
            out.append(value.isoformat() if isinstance(value, datetime) else str(value))
        else:
            out.append(value if not isinstance(value, Decimal | datetime) else str(value))
    return out


def position_from_json(fields: Sequence[FieldSpec], raw: Sequence[JsonScalar]) -> list[SortValue]:
    """The inverse of :func:`position_to_json`; ValueError if the shape does not match."""
    if len(raw) != len(fields):
        raise ValueError("position length does not match the sort keys")
    values: list[SortValue] = []
    for field, value in zip(fields, raw, strict=True):
        if value is None:
            if not field.nullable:
                raise ValueError(f"{field.name} cannot be null")
            values.append(None)
            continue
        values.append(_position_value(field, value))
    return values


def _position_value(field: FieldSpec, value: JsonScalar) -> SortValue:
    """One decoded sort key, checked against what its column can hold (a signed token is still
    input: it must never reach the database as NaN, an overflowing number or an odd time)."""
    match field.type:
        case FieldType.STRING if isinstance(value, str) and "\x00" not in value:
            return value
        case FieldType.INTEGER if isinstance(value, int) and not isinstance(value, bool):
            if -_INT64 <= value < _INT64:
                return value
        case FieldType.FLOAT if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value) and abs(value) < 1e300:
                return float(value)
        case FieldType.DECIMAL if isinstance(value, str):
            try:
                amount = Decimal(value)
            except InvalidOperation as exc:
                raise ValueError(f"bad decimal for {field.name}") from exc
            if amount.is_finite() and abs(amount) < MAX_MONEY:
                return amount
        case FieldType.TIMESTAMP if isinstance(value, str):
            parsed = parse_rfc3339(value)
            if parsed is not None:
                return parsed
    raise ValueError(f"bad value for {field.name}")


# --- names and sizes -------------------------------------------------------------------------


def parse_resource_name(name: str, collection: str, field: str = "name") -> str:
    """The key in ``{collection}/{key}``; InvalidArgument naming ``field`` if malformed."""
    prefix = collection + "/"
    key = name[len(prefix) :] if name.startswith(prefix) else ""
    if not key or "/" in key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidArgument(
            field, f"expected a resource name of the form '{collection}/{{key}}', got {echo(name)}"
        )
    return key


def resolve_page_size(requested: int, default: int, maximum: int) -> int:
    """AIP-158: 0 means the default, above the maximum is clamped, negative is an error."""
    if requested < 0:
        raise InvalidArgument("page_size", f"must not be negative, got {requested}")
    if requested == 0:
        return min(default, maximum)
    return min(requested, maximum)
