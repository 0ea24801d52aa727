"""Recursive-descent ``$filter`` parser and the literal parsers (timestamps, dates, numbers)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from wonder.sandbox.clock import to_micros
from wonder.sandbox.trestle.odata.errors import ODataError
from wonder.sandbox.trestle.odata.lexer import Token, tokenize
from wonder.sandbox.trestle.odata.nodes import (
    COMPARISON_OPS,
    STRING_FUNCTIONS,
    BoolOp,
    Call,
    Compare,
    FieldRef,
    InList,
    Literal,
    Node,
    Not,
)


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
