"""Derive the Trestle sandbox's ``$metadata`` from the RESO Data Dictionary (dev-time tool).

Reads the DD 2.0 reference EDMX (default: /work/shared/reference/reso/dd-2.0-enum.xml, or the
path given as the first argument) and writes ``wonder/sandbox/trestle/metadata.xml`` holding only
the fields the sandbox serves, with the enumeration types they use. Multi-value enumerations are
declared ``Edm.String`` with a ``RESO.OData.Metadata.LookupName`` annotation because Trestle sends
them as comma-separated strings. Local ``X_`` fields are added here; they are not in the DD.

Run: ``.venv/bin/python tools/gen_trestle_metadata.py [DD_XML]`` and commit the output.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EDMX_NS = "http://docs.oasis-open.org/odata/ns/edmx"
EDM_NS = "http://docs.oasis-open.org/odata/ns/edm"
ENUM_PREFIX = "org.reso.metadata.enums."
DEFAULT_SOURCE = Path("/work/shared/reference/reso/dd-2.0-enum.xml")
TARGET = Path(__file__).resolve().parent.parent / "wonder" / "sandbox" / "trestle" / "metadata.xml"

# The curated field set per resource, in the order they are declared.
FIELDS: dict[str, tuple[str, ...]] = {
    "Property": (
        "ListingKey",
        "ListingId",
        "StandardStatus",
        "MlsStatus",
        "PropertyType",
        "PropertySubType",
        "ListPrice",
        "OriginalListPrice",
        "ClosePrice",
        "BedroomsTotal",
        "BathroomsTotalInteger",
        "BathroomsFull",
        "BathroomsHalf",
        "LivingArea",
        "LivingAreaUnits",
        "LotSizeAcres",
        "LotSizeSquareFeet",
        "YearBuilt",
        "StoriesTotal",
        "GarageSpaces",
        "ParkingTotal",
        "UnparsedAddress",
        "StreetNumber",
        "StreetDirPrefix",
        "StreetName",
        "StreetSuffix",
        "UnitNumber",
        "City",
        "CountyOrParish",
        "StateOrProvince",
        "PostalCode",
        "Country",
        "Latitude",
        "Longitude",
        "SubdivisionName",
        "MLSAreaMajor",
        "PublicRemarks",
        "ListAgentKey",
        "ListAgentMlsId",
        "ListAgentFullName",
        "ListAgentEmail",
        "ListOfficeKey",
        "ListOfficeMlsId",
        "ListOfficeName",
        "ListOfficePhone",
        "BuyerAgentKey",
        "BuyerAgentFullName",
        "ListingContractDate",
        "OnMarketDate",
        "OffMarketDate",
        "CloseDate",
        "DaysOnMarket",
        "CumulativeDaysOnMarket",
        "PhotosCount",
        "PhotosChangeTimestamp",
        "ModificationTimestamp",
        "OriginalEntryTimestamp",
        "StatusChangeTimestamp",
        "PriceChangeTimestamp",
        "Appliances",
        "Cooling",
        "Heating",
        "InteriorFeatures",
        "ExteriorFeatures",
        "Flooring",
        "PoolPrivateYN",
        "WaterfrontYN",
        "NewConstructionYN",
        "AssociationYN",
        "AssociationFee",
        "AssociationFeeFrequency",
        "TaxAnnualAmount",
        "TaxYear",
        "VirtualTourURLUnbranded",
        "InternetEntireListingDisplayYN",
    ),
    "Media": (
        "MediaKey",
        "ResourceRecordKey",
        "ResourceName",
        "Order",
        "MediaURL",
        "MediaCategory",
        "ShortDescription",
        "ImageWidth",
        "ImageHeight",
        "ModificationTimestamp",
    ),
    "Member": (
        "MemberKey",
        "MemberMlsId",
        "MemberFirstName",
        "MemberLastName",
        "MemberFullName",
        "MemberEmail",
        "MemberPreferredPhone",
        "OfficeKey",
        "MemberStatus",
        "ModificationTimestamp",
    ),
    "Office": (
        "OfficeKey",
        "OfficeMlsId",
        "OfficeName",
        "OfficePhone",
        "OfficeEmail",
        "OfficeCity",
        "OfficeStateOrProvince",
        "OfficePostalCode",
        "OfficeStatus",
        "ModificationTimestamp",
    ),
    "OpenHouse": (
        "OpenHouseKey",
        "ListingKey",
        "ListingId",
        "OpenHouseDate",
        "OpenHouseStartTime",
        "OpenHouseEndTime",
        "OpenHouseRemarks",
        "ModificationTimestamp",
    ),
}

# Fields a provider adds that the DD does not define (name, Edm type, extra attributes).
LOCAL_FIELDS: dict[str, tuple[tuple[str, str, dict[str, str]], ...]] = {
    "Property": (
        ("X_ListingSourceSystem", "Edm.String", {"MaxLength": "50"}),
        ("X_HOAMonthlyFee", "Edm.Decimal", {"Precision": "14", "Scale": "2"}),
        ("X_ShowingInstructions", "Edm.String", {"MaxLength": "1024"}),
    ),
    # Trestle serves MimeType although the DD has no such field.
    "Media": (("MimeType", "Edm.String", {"MaxLength": "50"}),),
    "Member": (),
    "Office": (),
    "OpenHouse": (),
}

# Fields the DD declares in another way than Trestle serves them.
FIELD_OVERRIDES: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}

NAVIGATION: dict[str, tuple[tuple[str, str], ...]] = {
    "Property": (
        ("Media", "Collection(org.reso.metadata.Media)"),
        ("OpenHouse", "Collection(org.reso.metadata.OpenHouse)"),
    ),
}


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def load_source(path: Path) -> tuple[dict[str, ET.Element], dict[str, ET.Element]]:
    root = ET.parse(path).getroot()  # noqa: S314 (a trusted local reference file)
    entity_types: dict[str, ET.Element] = {}
    enum_types: dict[str, ET.Element] = {}
    for schema in root.iter(q(EDM_NS, "Schema")):
        for node in schema.findall(q(EDM_NS, "EntityType")):
            entity_types[node.attrib["Name"]] = node
        for node in schema.findall(q(EDM_NS, "EnumType")):
            enum_types[node.attrib["Name"]] = node
    return entity_types, enum_types


def build(source: Path) -> ET.ElementTree:
    entity_types, enum_types = load_source(source)
    ET.register_namespace("edmx", EDMX_NS)
    ET.register_namespace("", EDM_NS)
    edmx = ET.Element(q(EDMX_NS, "Edmx"), {"Version": "4.0"})
    services = ET.SubElement(edmx, q(EDMX_NS, "DataServices"))
    schema = ET.SubElement(services, q(EDM_NS, "Schema"), {"Namespace": "org.reso.metadata"})
    used_enums: set[str] = set()
    for resource, names in FIELDS.items():
        source_type = entity_types[resource]
        declared = {
            prop.attrib["Name"]: prop for prop in source_type.findall(q(EDM_NS, "Property"))
        }
        missing = [name for name in names if name not in declared]
        if missing:
            raise SystemExit(f"{resource}: not in the Data Dictionary: {missing}")
        entity = ET.SubElement(schema, q(EDM_NS, "EntityType"), {"Name": resource})
        key = ET.SubElement(entity, q(EDM_NS, "Key"))
        key_name = source_type.find(f"{q(EDM_NS, 'Key')}/{q(EDM_NS, 'PropertyRef')}")
        assert key_name is not None
        ET.SubElement(key, q(EDM_NS, "PropertyRef"), {"Name": key_name.attrib["Name"]})
        for name in names:
            attrs = dict(declared[name].attrib)
            override = FIELD_OVERRIDES.get((resource, name))
            lookup: str | None = None
            if override is not None:
                attrs = {"Name": name, "Type": override[0], **override[1]}
            elif attrs["Type"].startswith(f"Collection({ENUM_PREFIX}"):
                lookup = attrs["Type"][len(f"Collection({ENUM_PREFIX}") : -1]
                attrs = {"Name": name, "Type": "Edm.String", "MaxLength": "1024"}
                used_enums.add(lookup)
            elif attrs["Type"].startswith(ENUM_PREFIX):
                enum_name = attrs["Type"][len(ENUM_PREFIX) :]
                if enum_name in enum_types:
                    used_enums.add(enum_name)
                else:
                    # An open lookup the DD does not enumerate (City, ...): a plain string.
                    attrs = {"Name": name, "Type": "Edm.String", "MaxLength": "255"}
            attrs.pop("Nullable", None)
            prop = ET.SubElement(entity, q(EDM_NS, "Property"), attrs)
            if lookup is not None:
                ET.SubElement(
                    prop,
                    q(EDM_NS, "Annotation"),
                    {"Term": "RESO.OData.Metadata.LookupName", "String": lookup},
                )
        for name, edm_type, extra in LOCAL_FIELDS[resource]:
            ET.SubElement(entity, q(EDM_NS, "Property"), {"Name": name, "Type": edm_type, **extra})
        for name, nav_type in NAVIGATION.get(resource, ()):
            ET.SubElement(entity, q(EDM_NS, "NavigationProperty"), {"Name": name, "Type": nav_type})
    enums = ET.SubElement(services, q(EDM_NS, "Schema"), {"Namespace": ENUM_PREFIX.rstrip(".")})
    for enum_name in sorted(used_enums):
        enums.append(enum_types[enum_name])
    container = ET.SubElement(
        ET.SubElement(services, q(EDM_NS, "Schema"), {"Namespace": "org.reso.metadata.container"}),
        q(EDM_NS, "EntityContainer"),
        {"Name": "Default"},
    )
    for resource in FIELDS:
        entity_set = ET.SubElement(
            container,
            q(EDM_NS, "EntitySet"),
            {"Name": resource, "EntityType": f"org.reso.metadata.{resource}"},
        )
        for name, _ in NAVIGATION.get(resource, ()):
            ET.SubElement(
                entity_set,
                q(EDM_NS, "NavigationPropertyBinding"),
                {"Path": name, "Target": name},
            )
    tree = ET.ElementTree(edmx)
    ET.indent(tree, space="  ")
    return tree


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    if not source.exists():
        print(f"{source} not found: nothing to regenerate", file=sys.stderr)
        return 1
    tree = build(source)
    tree.write(TARGET, encoding="utf-8", xml_declaration=True)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
