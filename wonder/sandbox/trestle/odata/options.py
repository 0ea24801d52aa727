"""The query options of a collection request (``$filter/$select/$orderby/$top/$skip/$count/
$expand``, ``replication``) validated into a ``Query``, with Trestle's limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from wonder.sandbox.trestle.odata.errors import ODataError
from wonder.sandbox.trestle.odata.evaluate import Predicate, compile_filter
from wonder.sandbox.trestle.odata.nodes import Node
from wonder.sandbox.trestle.odata.parser import parse_filter
from wonder.sandbox.trestle.odata.typecheck import check, field_type
from wonder.sandbox.trestle.schema import EntityType, Kind

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
            field_type(entity, name)
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
        target = field_type(entity, words[0])
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
