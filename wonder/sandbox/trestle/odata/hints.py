"""Index hints read off a ``$filter``: a lower bound on a field, or the finite set of its
values, so the store can seek instead of scanning."""

from __future__ import annotations

from dataclasses import dataclass

from wonder.sandbox.trestle.odata.nodes import (
    FLIPPED,
    BoolOp,
    Compare,
    FieldRef,
    InList,
    Literal,
    Node,
)


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
            op, field_node, literal = FLIPPED[op], literal, field_node
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
