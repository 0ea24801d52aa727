"""Normal forms that linking compares: mail addresses, personal names, street addresses (pure).

Addresses: compared case-insensitively (local parts too: no provider we deal with tells
"Jane@" from "jane@"). Two provider rules apply only at the providers that have them:
- Gmail (gmail.com, googlemail.com): dots in the local part are ignored, "+tag" is dropped,
  googlemail.com is gmail.com;
- plus-addressing ("+tag" dropped) at Outlook.com/Hotmail/Live/MSN, iCloud/me.com/mac.com,
  Fastmail and Proton.
Elsewhere "+" and "." are part of the address (a company's "sales+leads@" may be its own box).

Street addresses: "123 N. Main Street, Apt #4B" and "123 north main st unit 4b" have the same
:class:`StreetAddress` (number, direction, name, suffix, unit; case, punctuation and the usual
USPS abbreviations folded).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_PLUS_ADDRESSING = frozenset(
    {
        "outlook.com", "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com",
        "fastmail.com", "fastmail.fm", "proton.me", "protonmail.com", "pm.me",
    }
)  # fmt: skip


def address_key(address: str) -> str | None:
    """The canonical form two spellings of one mailbox share, or None if it is no address."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or not local or "." not in domain:
        return None
    local, domain = local.lower(), domain.lower().rstrip(".")
    if domain in _GMAIL:
        return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
    if domain in _PLUS_ADDRESSING:
        return local.split("+", 1)[0] + "@" + domain
    return f"{local}@{domain}"


_NAME_NOISE = re.compile(r"[^\w\s]")
# "Wonder Realty, Inc." and "Bob Stone, Jr." are no "Last, First".
_NOT_FIRST_NAMES = frozenset(
    {"inc", "llc", "ltd", "co", "corp", "lp", "llp", "pllc", "pc", "jr", "sr", "ii", "iii"}
)
_NAME_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "jr", "sr", "ii", "iii"})


def name_key(name: str) -> str | None:
    """A display name folded for comparison: accents, case, punctuation, titles and order
    ("Smith, Jane" is "jane smith"; "Wonder Realty, Inc." stays in order); None when fewer
    than two words remain (a lone "Jane" or "Sales" names nobody uniquely)."""
    last, comma, first = name.partition(",")
    if comma and _NAME_NOISE.sub("", first).strip().casefold() not in _NOT_FIRST_NAMES:
        name = f"{first} {last}"
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    words = [w for w in _NAME_NOISE.sub(" ", folded).split() if w not in _NAME_TITLES]
    return " ".join(words) if len(words) >= 2 else None


_DIRECTIONS = {
    "n": "n", "north": "n", "s": "s", "south": "s", "e": "e", "east": "e", "w": "w",
    "west": "w", "ne": "ne", "northeast": "ne", "nw": "nw", "northwest": "nw", "se": "se",
    "southeast": "se", "sw": "sw", "southwest": "sw",
}  # fmt: skip
_SUFFIXES = {
    "st": "st", "street": "st", "str": "st", "ave": "ave", "av": "ave", "avenue": "ave",
    "rd": "rd", "road": "rd", "blvd": "blvd", "boulevard": "blvd", "dr": "dr", "drive": "dr",
    "ln": "ln", "lane": "ln", "ct": "ct", "court": "ct", "pl": "pl", "place": "pl", "way": "way",
    "wy": "way", "ter": "ter", "terrace": "ter", "cir": "cir", "circle": "cir", "pkwy": "pkwy",
    "parkway": "pkwy", "hwy": "hwy", "highway": "hwy", "sq": "sq", "square": "sq", "trl": "trl",
    "trail": "trl", "loop": "loop", "run": "run", "row": "row", "pike": "pike", "xing": "xing",
    "crossing": "xing", "aly": "aly", "alley": "aly", "cv": "cv", "cove": "cv", "pt": "pt",
    "point": "pt", "plz": "plz", "plaza": "plz", "hts": "hts", "heights": "hts",
}  # fmt: skip
_UNIT_WORDS = r"(?:#|apt\.?|apartment|unit|suite|ste\.?|no\.?|number)"
_APOSTROPHES = "'\u2019"
_WORD = rf"[A-Za-z0-9][A-Za-z0-9{_APOSTROPHES}]*\.?"
_ADDRESS = re.compile(
    rf"(?<![\w#-])(?P<number>\d{{1,6}}[A-Za-z]?)[ \t]+"
    rf"(?P<street>(?:{_WORD}[ \t]+){{0,4}}?)"
    rf"(?P<suffix>{'|'.join(sorted(_SUFFIXES, key=len, reverse=True))})\b\.?"
    rf"(?:[ \t]*,?[ \t]*(?P<post>north|south|east|west|[NSEW]{{1,2}})\b\.?)?"
    rf"(?:[ \t]*,?[ \t]*(?:{_UNIT_WORDS}[ \t]*)+(?P<unit>[A-Za-z0-9][A-Za-z0-9-]{{0,7}})\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class StreetAddress:
    """A street address in normal form; ``direction`` and ``unit`` are "" when absent."""

    number: str
    direction: str
    name: str
    suffix: str
    unit: str

    def compatible(self, other: StreetAddress) -> bool:
        """Same place unless a field both sides give differs (one side may omit them)."""
        if (self.number, self.name) != (other.number, other.name):
            return False
        return all(
            not a or not b or a == b
            for a, b in (
                (self.direction, other.direction),
                (self.suffix, other.suffix),
                (self.unit, other.unit),
            )
        )


def _unit(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower()) if value else ""


def _street(match: re.Match[str]) -> StreetAddress | None:
    words = [w.strip("." + _APOSTROPHES).lower() for w in match["street"].split()]
    direction = ""
    if words and words[0] in _DIRECTIONS and len(words) > 1:
        direction = _DIRECTIONS[words.pop(0)]
    if match["post"]:
        direction = direction or _DIRECTIONS.get(match["post"].lower(), "")
    if not words:
        return None  # "12 Street": the suffix was the name, or the match was a false start
    suffix = _SUFFIXES[match["suffix"].lower()]
    return StreetAddress(
        match["number"].lower(), direction, " ".join(words), suffix, _unit(match["unit"])
    )


def find_street_addresses(text: str) -> list[StreetAddress]:
    """Street addresses written in free text, in order, without repeats."""
    found: dict[StreetAddress, None] = {}
    for match in _ADDRESS.finditer(text):
        address = _street(match)
        if address is not None:
            found.setdefault(address, None)
    return list(found)


def street_address(
    unparsed: str | None,
    number: str | None = None,
    name: str | None = None,
    unit: str | None = None,
) -> StreetAddress | None:
    """A listing's own address: its one-line address if that parses, else its parts."""
    if unparsed:
        match = _ADDRESS.search(unparsed)
        if match is not None and (address := _street(match)) is not None:
            return address
    if number and name:
        words = [w.strip(".").lower() for w in name.split()]
        suffix = _SUFFIXES.get(words[-1], "") if len(words) > 1 else ""
        if suffix:
            words.pop()
        direction = _DIRECTIONS.get(words[0], "") if len(words) > 1 else ""
        if direction:
            words.pop(0)
        return StreetAddress(
            number.strip().lower(), direction, " ".join(words), suffix, _unit(unit)
        )
    return None
