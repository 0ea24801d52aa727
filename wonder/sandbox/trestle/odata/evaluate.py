"""A checked ``$filter`` compiled into a predicate over a row's field getter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wonder.sandbox.trestle.odata.errors import ODataError
from wonder.sandbox.trestle.odata.nodes import (
    FLIPPED,
    BoolOp,
    Call,
    Compare,
    FieldRef,
    InList,
    Literal,
    Node,
    Not,
)

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


def _compile_compare(node: Compare) -> Predicate:
    op, left_node, right_node = node.op, node.left, node.right
    if isinstance(left_node, Literal) and not isinstance(right_node, Literal):
        op, left_node, right_node = FLIPPED[op], right_node, left_node
    left, right = _value_fn(left_node), _value_fn(right_node)
    if op == "eq":
        return lambda get: left(get) == right(get)
    if op == "ne":
        return lambda get: left(get) != right(get)
    if op == "has":
        return lambda get: str(right(get)) in _split_multi(left(get))
    return lambda get: _ordered(op, left(get), right(get))
