"""The ``$filter`` syntax tree.

Internal value representation (what row getters return and literals become):
strings/enums as ``str``, numbers as ``int``/``float``, booleans as ``bool``, dates as ISO
``YYYY-MM-DD`` strings, timestamps as ``int`` epoch microseconds, null as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass


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

# The operator with its operands swapped (``5 lt X`` is ``X gt 5``).
FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "has": "has"}
