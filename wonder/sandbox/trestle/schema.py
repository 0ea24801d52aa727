"""The served entity types, read once from the committed ``metadata.xml``.

Field kinds are what filter validation and evaluation need: a type family per field, the enum
members for enumerations, and whether a string is really a comma-separated multi-value lookup.
``format_timestamp`` is how an Edm.DateTimeOffset is served.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources

from wonder.sandbox.clock import from_micros

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
ENUM_NAMESPACE = "org.reso.metadata.enums"


class Kind(Enum):
    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"
    ENUM = "enum"
    MULTI_ENUM = "multi_enum"  # Edm.String carrying comma-separated lookup values

    @property
    def numeric(self) -> bool:
        return self in (Kind.INT, Kind.DECIMAL)


@dataclass(frozen=True)
class FieldType:
    name: str
    kind: Kind
    enum_name: str | None = None
    members: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EntityType:
    name: str
    key: str
    fields: dict[str, FieldType]
    navigation: dict[str, str] = field(default_factory=dict)  # name -> target entity set


@dataclass(frozen=True)
class Schema:
    entities: dict[str, EntityType]
    xml: bytes

    def entity(self, name: str) -> EntityType | None:
        return self.entities.get(name)


_EDM_KINDS = {
    "Edm.String": Kind.STRING,
    "Edm.Int16": Kind.INT,
    "Edm.Int32": Kind.INT,
    "Edm.Int64": Kind.INT,
    "Edm.Decimal": Kind.DECIMAL,
    "Edm.Double": Kind.DECIMAL,
    "Edm.Boolean": Kind.BOOL,
    "Edm.Date": Kind.DATE,
    "Edm.DateTimeOffset": Kind.TIMESTAMP,
}


def parse_schema(xml: bytes) -> Schema:
    root = ET.fromstring(xml)  # noqa: S314 (our own committed file)
    enums: dict[str, frozenset[str]] = {}
    for node in root.iter(f"{EDM}EnumType"):
        enums[node.attrib["Name"]] = frozenset(
            member.attrib["Name"] for member in node.findall(f"{EDM}Member")
        )
    entities: dict[str, EntityType] = {}
    for node in root.iter(f"{EDM}EntityType"):
        name = node.attrib["Name"]
        key_ref = node.find(f"{EDM}Key/{EDM}PropertyRef")
        assert key_ref is not None
        fields: dict[str, FieldType] = {}
        for prop in node.findall(f"{EDM}Property"):
            fields[prop.attrib["Name"]] = _field_type(prop, enums)
        navigation = {
            nav.attrib["Name"]: nav.attrib["Type"].removeprefix("Collection(").rstrip(")")
            for nav in node.findall(f"{EDM}NavigationProperty")
        }
        navigation = {nav: target.rsplit(".", 1)[-1] for nav, target in navigation.items()}
        entities[name] = EntityType(name, key_ref.attrib["Name"], fields, navigation)
    return Schema(entities, xml)


def _field_type(prop: ET.Element, enums: dict[str, frozenset[str]]) -> FieldType:
    name = prop.attrib["Name"]
    edm_type = prop.attrib["Type"]
    lookup = prop.find(f"{EDM}Annotation[@Term='RESO.OData.Metadata.LookupName']")
    if lookup is not None:
        enum_name = lookup.attrib["String"]
        return FieldType(name, Kind.MULTI_ENUM, enum_name, enums.get(enum_name, frozenset()))
    if edm_type.startswith(ENUM_NAMESPACE + "."):
        enum_name = edm_type[len(ENUM_NAMESPACE) + 1 :]
        return FieldType(name, Kind.ENUM, enum_name, enums[enum_name])
    return FieldType(name, _EDM_KINDS[edm_type])


@functools.cache
def load_schema() -> Schema:
    xml = resources.files("wonder.sandbox.trestle").joinpath("metadata.xml").read_bytes()
    return parse_schema(xml)


@functools.lru_cache(maxsize=131_072)  # many rows share timestamps (remaps, media)
def format_timestamp(value: int) -> str:
    """Epoch microseconds as Trestle serializes Edm.DateTimeOffset: ISO 8601 UTC, milliseconds."""
    moment = from_micros(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
