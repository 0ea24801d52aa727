"""A parsed message linked to the contacts and listings we know (pure over the directory ports).

People: every mailbox of From, Sender, Reply-To, To, Cc and Bcc is looked up by its address
(``wonder.mail.matching.address_key``: case-insensitive, Gmail dots and plus-addressing only
where the provider has them). A mailbox whose address nobody has is looked up by its display
name, and linked only when exactly one contact in all directories has that name.

Listings: the subject, new text and quoted text (not the signature: an agent's office address
is no listing mentioned) are searched for MLS numbers ("MLS# WS2400123", or a bare token of
letters and digits that is a listing's MLS number), listing keys, and street addresses. An
address links when one listing fits it; when several do (the mention omits the unit, the
direction, or two cities share the street), it links only if exactly one of them matches every
part the mention gives, else nothing links: a wrong listing is worse than none.

Each link says how it was made (:class:`LinkMethod`) and how sure it is (``confidence``, 0-1,
fixed per method and exactness: what a ranking or a review threshold reads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from wonder.mail.directory import Contact, ContactDirectory, ListingDirectory, ListingRef
from wonder.mail.matching import StreetAddress, address_key, find_street_addresses, name_key
from wonder.mail.message import Address, ParsedMessage


class LinkMethod(StrEnum):
    ADDRESS = "address"
    NAME = "name"
    MLS_NUMBER = "mls_number"
    LISTING_KEY = "listing_key"
    STREET_ADDRESS = "street_address"


class Role(StrEnum):
    FROM = "from"
    SENDER = "sender"
    REPLY_TO = "reply_to"
    TO = "to"
    CC = "cc"
    BCC = "bcc"


# Confidence per way of linking (the exact ones first).
EXACT_ADDRESS = 1.0
CANONICAL_ADDRESS = 0.95  # same mailbox by a provider rule (Gmail dots, +tag)
UNIQUE_NAME = 0.6
MLS_IN_CONTEXT = 1.0  # "MLS# X"
MLS_BARE = 0.85
LISTING_KEY = 0.9
STREET_EXACT = 0.9  # every part the mention gives matches, and only this listing fits
STREET_PARTIAL = 0.75  # the mention omits a part (unit, direction) and one listing fits
STREET_BEST_OF_SEVERAL = 0.7  # several fit, one matches every part given

_MLS_CONTEXT = re.compile(
    r"\bMLS\s*(?:#|No\.?|Number|ID|Listing)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{2,19})\b", re.IGNORECASE
)
# Tokens of 4-31 letters, digits and dashes with a digit among them (ids, not words).
_TOKEN = re.compile(r"(?<![\w-])(?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,30}(?![\w-])")
_MAX_TOKENS = 64  # spam carries hundreds of hex strings: look up the first ones only
_MAX_ADDRESSES = 16


@dataclass(frozen=True, slots=True)
class ContactLink:
    role: Role
    mailbox: Address
    contact: Contact
    method: LinkMethod
    confidence: float


@dataclass(frozen=True, slots=True)
class ListingLink:
    listing: ListingRef
    method: LinkMethod
    confidence: float
    evidence: str  # the text that made the link (the MLS number, key or address as found)


@dataclass(frozen=True, slots=True)
class Links:
    contacts: tuple[ContactLink, ...]
    listings: tuple[ListingLink, ...]


def link_message(
    message: ParsedMessage, contacts: ContactDirectory, listings: ListingDirectory
) -> Links:
    return Links(link_contacts(message, contacts), link_listings(message, listings))


def _mailboxes(message: ParsedMessage) -> list[tuple[Role, Address]]:
    roles = (
        (Role.FROM, message.from_),
        (Role.SENDER, message.sender),
        (Role.REPLY_TO, message.reply_to),
        (Role.TO, message.to),
        (Role.CC, message.cc),
        (Role.BCC, message.bcc),
    )
    return [(role, mailbox) for role, mailboxes in roles for mailbox in mailboxes]


def link_contacts(message: ParsedMessage, directory: ContactDirectory) -> tuple[ContactLink, ...]:
    mailboxes = _mailboxes(message)
    keys = {mailbox.address: address_key(mailbox.address) for _, mailbox in mailboxes}
    by_address = directory.by_address({k for k in keys.values() if k is not None})
    unknown = [(r, m) for r, m in mailboxes if keys[m.address] not in by_address]
    names = {m.name: name_key(m.name) for _, m in unknown}
    by_name = directory.by_name({k for k in names.values() if k is not None}) if names else {}
    links: list[ContactLink] = []
    for role, mailbox in mailboxes:
        key = keys[mailbox.address]
        if key is not None and key in by_address:
            for contact in by_address[key]:
                exact = mailbox.address.lower() in (e.lower() for e in contact.emails)
                confidence = EXACT_ADDRESS if exact else CANONICAL_ADDRESS
                links.append(ContactLink(role, mailbox, contact, LinkMethod.ADDRESS, confidence))
            continue
        named = names.get(mailbox.name)
        matches = by_name.get(named, []) if named is not None else []
        if len(matches) == 1:
            links.append(ContactLink(role, mailbox, matches[0], LinkMethod.NAME, UNIQUE_NAME))
    return tuple(links)


def _searched_text(message: ParsedMessage) -> str:
    return "\n".join((message.subject, message.new_text, message.quoted_text))


def link_listings(message: ParsedMessage, directory: ListingDirectory) -> tuple[ListingLink, ...]:
    text = _searched_text(message)
    links: dict[str, ListingLink] = {}

    def keep(link: ListingLink) -> None:
        held = links.get(link.listing.listing_key)
        if held is None or link.confidence > held.confidence:
            links[link.listing.listing_key] = link

    in_context = {m.upper() for m in _MLS_CONTEXT.findall(text)}
    found_tokens = (m[0] for m in _TOKEN.finditer(text))
    id_like = (t for t in found_tokens if len(t) >= 5 or not t.isdigit())
    tokens = list(dict.fromkeys(islice(id_like, _MAX_TOKENS)))
    ids = in_context | {t.upper() for t in tokens if not t.isdigit() or len(t) >= 6}
    if ids:
        for found, refs in directory.by_listing_id(ids).items():
            confidence = MLS_IN_CONTEXT if found in in_context else MLS_BARE
            if len(refs) == 1 or found in in_context:
                for ref in refs:
                    keep(ListingLink(ref, LinkMethod.MLS_NUMBER, confidence, found))
    if tokens:
        for found, ref in directory.by_listing_key(tokens).items():
            keep(ListingLink(ref, LinkMethod.LISTING_KEY, LISTING_KEY, found))
    mentions = find_street_addresses(text)[:_MAX_ADDRESSES]
    if mentions:
        candidates = directory.by_street_number({m.number for m in mentions})
        for mention in mentions:
            link = _street_link(mention, candidates)
            if link is not None:
                keep(link)
    return tuple(links.values())


def _street_link(mention: StreetAddress, candidates: Iterable[ListingRef]) -> ListingLink | None:
    fitting = [c for c in candidates if c.address is not None and mention.compatible(c.address)]
    if not fitting:
        return None
    evidence = " ".join(
        p for p in (mention.number, mention.direction, mention.name, mention.suffix) if p
    ) + (f" #{mention.unit}" if mention.unit else "")
    exact = [c for c in fitting if c.address == mention]
    if len(fitting) == 1:
        confidence = STREET_EXACT if exact else STREET_PARTIAL
        return ListingLink(fitting[0], LinkMethod.STREET_ADDRESS, confidence, evidence)
    if len(exact) == 1:
        return ListingLink(exact[0], LinkMethod.STREET_ADDRESS, STREET_BEST_OF_SEVERAL, evidence)
    return None
