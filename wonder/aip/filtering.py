"""AIP-160 filters: tokenized and parsed by recursive descent into a small typed AST.

The grammar is the same for every collection; what a filter may name comes from the
collection's :class:`~wonder.aip.fields.Catalogue` (typed fields, and functions such as the
listings' ``within(...)``). Every error names its 1-based character position. Pure: no I/O, no
SQL (``wonder.db.filter_sql`` compiles the AST).
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from wonder.aip.fields import (
    MAX_MONEY,
    Catalogue,
    Enumeration,
    FieldSpec,
    FieldType,
    FilterValue,
)
from wonder.errors import InvalidArgument, echo
from wonder.timestamps import parse_timestamp_or_none

MAX_FILTER_LENGTH = 2000
# Parentheses and NOTs together; deeper filters are refused before they reach Python's recursion
# limit or SQLite's parser stack (which overflowed from 45 nested NOTs).
MAX_FILTER_DEPTH = 16


class FilterError(InvalidArgument):
    """The filter does not parse or names a field or value it may not."""

    def __init__(self, description: str, position: int) -> None:
        # Positions are 1-based character offsets into the filter string.
        super().__init__("filter", f"{description} (at character {position})")
        self.position = position


# --- AST -------------------------------------------------------------------------------------


class CompareOp(enum.Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Comparison:
    field: FieldSpec
    op: CompareOp
    value: FilterValue


class FunctionTerm(Protocol):
    """What a catalogue's filter function builds (e.g. a bounding box); hashable, comparable."""

    def canonical(self) -> str:
        """The term as the filter would spell it, aliases resolved."""
        ...


@dataclass(frozen=True)
class And:
    operands: tuple[FilterExpr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[FilterExpr, ...]


@dataclass(frozen=True)
class Not:
    operand: FilterExpr


FilterExpr = Comparison | FunctionTerm | And | Or | Not


def canonical_filter(expr: FilterExpr | None) -> str:
    """A normalized rendering: equal for filters that differ only in spacing or aliases."""
    match expr:
        case None:
            return ""
        case Comparison(field, op, value):
            rendered = value.isoformat() if isinstance(value, datetime) else repr(value)
            return f"{field.name} {op.value} {rendered}"
        case And(operands):
            return "(" + " AND ".join(canonical_filter(o) for o in operands) + ")"
        case Or(operands):
            return "(" + " OR ".join(canonical_filter(o) for o in operands) + ")"
        case Not(operand):
            return f"NOT {canonical_filter(operand)}"
    return expr.canonical()


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


def parse_filter(text: str, catalogue: Catalogue) -> FilterExpr | None:
    """The AST of an AIP-160 filter over ``catalogue``; None when empty (everything matches)."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidArgument("filter", f"longer than {MAX_FILTER_LENGTH} characters")
    if not text.strip():
        return None
    return _Parser(_tokenize(text), catalogue).parse()


class _Parser:
    # expression := sequence { AND sequence }; sequence := term { OR term } (AIP-160: OR binds
    # tighter than AND); term := [NOT] simple; simple := comparison | function | ( expression )

    def __init__(self, tokens: list[_Token], catalogue: Catalogue) -> None:
        self._tokens = tokens
        self._catalogue = catalogue
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

    def _function(self, name: _Token) -> FunctionTerm:
        function = self._catalogue.function_named.get(name.text)
        if function is None:
            known = ", ".join(sorted(self._catalogue.function_named)) or "none"
            raise FilterError(
                f"unknown function {echo(name.text)} (supported: {known})", name.position
            )
        self._next()  # "("
        args: list[float] = []
        while True:
            token = self._next()
            if token.kind is not _Kind.NUMBER:
                raise FilterError(
                    f"{name.text}() takes {len(function.parameters)} numbers, "
                    f"found {token.describe()}",
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
        if len(args) != len(function.parameters):
            raise FilterError(
                f"{name.text}() takes {len(function.parameters)} arguments "
                f"({', '.join(function.parameters)}), got {len(args)}",
                name.position,
            )
        try:
            return function.build(tuple(args))
        except ValueError as error:
            raise FilterError(f"{name.text}(): {error}", name.position) from None

    def _comparison(self, name: _Token) -> Comparison:
        field = self._catalogue.filter_fields.get(name.text)
        if field is None:
            known = ", ".join(sorted(self._catalogue.filter_fields))
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
        op = CompareOp(op_token.text)
        if field.enumeration is not None:
            return Comparison(field, op, _enumerated(field, field.enumeration, op, value_token))
        return Comparison(field, op, _convert(field, value_token))


def _enumerated(field: FieldSpec, enumeration: Enumeration, op: CompareOp, token: _Token) -> str:
    """The canonical value an enumerated field is compared with (= and != only)."""
    valid = ", ".join(f'"{value}"' for value in enumeration.values)
    if op not in (CompareOp.EQ, CompareOp.NE):
        raise FilterError(
            f"field '{field.name}' takes only = and != (its values are {valid})", token.position
        )
    value = enumeration.canonical(token.text) if token.kind in _VALUE_KINDS else None
    if value is None:
        found = echo(token.text) if token.kind in _VALUE_KINDS else token.describe()
        raise FilterError(
            f"field '{field.name}' takes one of {valid}, found {found}", token.position
        )
    return value


_VALUE_KINDS = (_Kind.STRING, _Kind.IDENT)
_INTEGER_RE = re.compile(r"-?\d+")
_MONEY_RE = re.compile(r"-?\d+(?:\.\d{1,2})?")
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
            if not -_INT_LIMIT <= number < _INT_LIMIT:
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
            parsed = parse_timestamp_or_none(token.text)
            if parsed is None:
                raise wrong('an RFC 3339 timestamp, e.g. "2024-05-01T00:00:00Z"')
            return parsed
    raise AssertionError(field.type)  # pragma: no cover
