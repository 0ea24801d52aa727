"""Type checking of a parsed ``$filter`` against the served schema: unknown fields, operand
types, enumeration members."""

from __future__ import annotations

from wonder.sandbox.trestle.odata.errors import ODataError
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
from wonder.sandbox.trestle.schema import ENUM_NAMESPACE, EntityType, FieldType, Kind

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


def field_type(entity: EntityType, name: str) -> FieldType:
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
        target = field_type(entity, node.name)
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
        target = field_type(entity, node.subject.name)
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
            if field_type(entity, arg.name).kind not in (Kind.STRING, Kind.ENUM, Kind.MULTI_ENUM):
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
    target = field_type(entity, left.name)
    if node.op == "has" and target.kind not in (Kind.ENUM, Kind.MULTI_ENUM):
        raise ODataError(f"'has' applies to enumerations, not '{left.name}'")
    if node.op in ("gt", "ge", "lt", "le") and target.kind in (Kind.BOOL, Kind.MULTI_ENUM):
        raise ODataError(f"'{node.op}' cannot order '{left.name}'")
    if isinstance(right, Literal):
        _check_literal(target, right, node.op)
    elif isinstance(right, FieldRef):
        other = field_type(entity, right.name)
        same = other.kind == target.kind or (other.kind.numeric and target.kind.numeric)
        if not same:
            raise ODataError(f"Cannot compare '{left.name}' with '{right.name}'")
    else:
        raise ODataError("Unsupported comparison operand")
