"""Mail that looks like a brokerage's inbox, deterministic by seed.

Kinds (``truth["category"]``): lead inquiries about the Trestle sandbox's listings (named by
MLS number or by street address, ``truth["listing_key"]``), tenants and owners about their
leases, vendors with invoices (PDF attachments), agents, HTML-only newsletters, spam, and
malformed messages (a missing MIME boundary, a lying charset, raw 8-bit headers, no Date).
Replies carry In-Reply-To/References and quote the message they answer. Headers use encoded
words for non-ASCII names and subjects.
"""

from __future__ import annotations

import email
import email.policy
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

FIRST = ("Maria", "James", "Priya", "Chen", "Olivia", "Mateo", "Aisha", "Noah", "Zoë", "Łukasz")
LAST = ("García", "Smith", "Patel", "Wang", "Johnson", "Rossi", "Okafor", "Müller", "Kim", "Lee")
VENDORS = (
    ("Ace Plumbing", "billing@aceplumbing.example"),
    ("Sunrise HVAC", "invoices@sunrisehvac.example"),
    ("GreenLeaf Landscaping", "accounts@greenleaf.example"),
)
# The rest of a malformed message after From/To/Message-ID/Date: a multipart without its
# boundary, a charset that does not exist, raw 8-bit in a header (and no Date), bad base64.
MALFORMED = (
    "Subject: no boundary\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n",
    "Subject: bad charset\r\nContent-Type: text/plain; charset=x-unknown-9\r\n\r\nna\xefve\r\n",
    "Subject: caf\xe9 8bit header\r\n\r\nbody\r\n",
    "Subject: bad base64\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29y=\r\n",
)
SPAM_SUBJECTS = ("You WON a $500 gift card!!!", "Cheap meds, no prescription", "URGENT wire")


@dataclass(frozen=True)
class ListingFact:
    key: str
    mls_number: str
    address: str  # "5790 Madison Blvd, Tampa, FL 33617"
    unit: str | None
    agent_email: str | None
    agent_name: str | None


@dataclass(frozen=True)
class Draft:
    raw: bytes
    labels: frozenset[str]
    truth: dict[str, Any]
    message_id_header: str
    subject: str


class MailFactory:
    def __init__(self, seed: int, listings: list[ListingFact], domain: str) -> None:
        self._rng = random.Random(seed)
        self._listings = listings
        self._domain = domain

    def _person(self) -> tuple[str, str]:
        first, last = self._rng.choice(FIRST), self._rng.choice(LAST)
        local = f"{first}.{last}".lower().encode("ascii", "ignore").decode() or "someone"
        return f"{first} {last}", f"{local}{self._rng.randint(1, 99)}@mail.example"

    def _base(self, sender: tuple[str, str], to: str, subject: str, when: datetime) -> EmailMessage:
        message = EmailMessage()
        name, address = sender
        username, _, domain = address.partition("@")
        message["From"] = Address(display_name=name, username=username, domain=domain)
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(when)
        message["Message-ID"] = f"<{self._rng.getrandbits(64):016x}@{domain}>"
        return message

    def draft(self, mailbox: str, when: datetime) -> Draft:
        kind = self._rng.choices(
            ("lead", "tenant", "owner", "vendor", "agent", "newsletter", "spam", "malformed"),
            weights=(30, 15, 8, 10, 10, 10, 12, 5),
        )[0]
        make: Callable[[str, datetime], Draft] = getattr(self, f"_{kind}")
        return make(mailbox, when)

    def _lead(self, mailbox: str, when: datetime) -> Draft:
        listing = self._rng.choice(self._listings)
        by_mls = self._rng.random() < 0.5
        street = listing.address.split(",")[0]
        named = f"MLS# {listing.mls_number}" if by_mls else street
        if listing.unit and not by_mls and f"#{listing.unit}" not in street:
            named += f" #{listing.unit}"
        sender = self._person()
        message = self._base(sender, mailbox, f"Inquiry about {named}", when)
        message.set_content(
            f"Hi,\n\nI saw the listing for {named} and would like to schedule a showing "
            f"this weekend. Is it still available?\n\nThanks,\n{sender[0].split()[0]}\n"
        )
        truth = {
            "category": "lead",
            "listing_key": listing.key,
            "named_by": "mls_number" if by_mls else "street_address",
            "sender": sender[1],
        }
        return self._done(message, {"INBOX", "UNREAD"}, truth)

    def _tenant(self, mailbox: str, when: datetime) -> Draft:
        sender = self._person()
        unit = self._rng.randint(1, 40)
        message = self._base(sender, mailbox, f"Leak under the sink in unit {unit}", when)
        message.set_content(
            f"Hello, the kitchen sink in unit {unit} is leaking again. "
            "Can someone come by tomorrow?\n\n-- \nSent from my phone\n"
        )
        return self._done(message, {"INBOX", "UNREAD"}, {"category": "tenant", "sender": sender[1]})

    def _owner(self, mailbox: str, when: datetime) -> Draft:
        sender = self._person()
        message = self._base(sender, mailbox, "Owner statement question", when)
        # Older mail programs still send Windows-1252 (curly quotes, the euro sign).
        message.set_content(
            "Could you send me last month\u2019s owner statement? The total looks off by \u20ac40.",
            charset="windows-1252",
        )
        return self._done(message, {"INBOX"}, {"category": "owner", "sender": sender[1]})

    def _vendor(self, mailbox: str, when: datetime) -> Draft:
        name, address = self._rng.choice(VENDORS)
        number = self._rng.randint(10_000, 99_999)
        message = self._base((name, address), mailbox, f"Invoice INV-{number}", when)
        message.set_content(f"Please find attached invoice INV-{number}. Due in 30 days.")
        pdf = b"%PDF-1.4\n% sandbox invoice " + str(number).encode() + b"\n%%EOF\n"
        message.add_attachment(
            pdf, maintype="application", subtype="pdf", filename=f"INV-{number}.pdf"
        )
        return self._done(message, {"INBOX"}, {"category": "vendor", "sender": address})

    def _agent(self, mailbox: str, when: datetime) -> Draft:
        listing = self._rng.choice(self._listings)
        name = listing.agent_name or "An Agent"
        address = listing.agent_email or "agent@brokerage.example"
        message = self._base((name, address), mailbox, f"Offer on {listing.mls_number}", when)
        message.set_content(
            f"My buyers would like to submit an offer on MLS# {listing.mls_number}."
        )
        truth = {"category": "agent", "sender": address, "listing_key": listing.key}
        return self._done(message, {"INBOX", "UNREAD"}, truth)

    def _newsletter(self, mailbox: str, when: datetime) -> Draft:
        message = self._base(
            ("Market Weekly", "news@marketweekly.example"),
            mailbox,
            "Ça bouge: rates this week",
            when,
        )
        message.set_content(
            "<html><body><h1>Rates</h1><p>Mortgage rates moved &amp; inventory rose.</p>"
            "<script>track()</script></body></html>",
            subtype="html",
        )
        labels = {"INBOX", "CATEGORY_PROMOTIONS"}
        return self._done(
            message, labels, {"category": "newsletter", "sender": "news@marketweekly.example"}
        )

    def _spam(self, mailbox: str, when: datetime) -> Draft:
        message = self._base(
            ("Prize Dept", "win@prizes.example"), mailbox, self._rng.choice(SPAM_SUBJECTS), when
        )
        message.set_content("Click here to claim: http://prizes.example/claim")
        return self._done(message, {"SPAM"}, {"category": "spam", "sender": "win@prizes.example"})

    def _malformed(self, mailbox: str, when: datetime) -> Draft:
        variant = self._rng.randrange(len(MALFORMED))
        msgid = f"<broken{self._rng.getrandbits(32)}@mail.example>"
        head = f"From: Broken Sender <broken@mail.example>\r\nTo: {mailbox}\r\n"
        head += f"Message-ID: {msgid}\r\n"
        date = "" if variant == 2 else f"Date: {format_datetime(when)}\r\n"
        data = (head + date + MALFORMED[variant]).encode("latin-1")
        truth = {"category": "malformed", "variant": variant, "sender": "broken@mail.example"}
        return Draft(data, frozenset({"INBOX"}), truth, msgid, f"malformed {variant}")

    def reply(self, original: Draft, mailbox: str, when: datetime) -> Draft:
        # The same person following up on their own message.
        name, address = parseaddr(str(parse_original(original.raw).get("From", "")))
        sender = (name, address) if "@" in address else self._person()
        subject = (
            original.subject
            if original.subject.lower().startswith("re:")
            else f"Re: {original.subject}"
        )
        message = self._base(sender, mailbox, subject, when)
        message["In-Reply-To"] = original.message_id_header
        message["References"] = original.message_id_header
        quoted = "\n".join("> " + line for line in _first_text(original.raw).splitlines())
        message.set_content(
            f"Following up on this.\n\nOn {format_datetime(when)}, someone wrote:\n{quoted}\n"
        )
        truth = {**original.truth, "reply_to": original.message_id_header, "sender": sender[1]}
        return self._done(message, {"INBOX", "UNREAD"}, truth)

    def _done(self, message: EmailMessage, labels: set[str], truth: dict[str, Any]) -> Draft:
        if message.is_multipart():  # the library draws boundaries at random: seed them
            message.set_boundary(f"=_ws_{self._rng.getrandbits(64):016x}")
        return Draft(
            message.as_bytes(policy=email.policy.SMTP),
            frozenset(labels),
            truth,
            str(message["Message-ID"]),
            str(message["Subject"]),
        )


def parse_original(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _first_text(raw: bytes) -> str:
    """The first text/plain part, as written (what a reply quotes)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
    try:
        return str(body.get_content()).strip() if body is not None else ""
    except (LookupError, ValueError):  # a malformed original: quote what a preview shows
        from wonder.sandbox.gmail.resources import snippet

        return snippet(raw)


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
