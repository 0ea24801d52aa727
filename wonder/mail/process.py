"""Parse stored messages, fill their parsed columns, store their links and attachments.

A message is processed when ``parser_version`` is null (never parsed) or older than
:data:`PARSER_VERSION` (bump it when the parser or the linker changes what they find). Pages of
``page_size`` messages, oldest row first, one transaction each: a page's parsed columns, links,
attachments and its ``parsed`` change-feed rows commit together, so a crash re-runs at most the
page it was in, and a re-run finds nothing left to do. A message the parser cannot read is
stored with its defects (and no links), never skipped: it is not asked again until the version
changes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from wonder.db.models import MailAttachment, MailLink, MailMessage
from wonder.db.uow import unit_of_work
from wonder.ingest.report import Headline
from wonder.mail.directory import CombinedContactDirectory, ContactDirectory, ListingDirectory
from wonder.mail.linking import Links, link_message
from wonder.mail.message import Defect, OwnDefect, ParsedMessage
from wonder.mail.parse import parse_message
from wonder.mail.sql_buildium import SqlBuildiumContacts
from wonder.mail.sql_directory import SqlListings, SqlTrestleContacts
from wonder.mail.store import record_changes

PARSER_VERSION = 1
PAGE_SIZE = 200
LISTING_ROLE = "text"  # a listing link's role: found in the subject or the body
_MESSAGES: Table = MailMessage.__table__  # type: ignore[assignment]
_LINKS: Table = MailLink.__table__  # type: ignore[assignment]
_ATTACHMENTS: Table = MailAttachment.__table__  # type: ignore[assignment]
_MAX_ADDRESS = 320
_MAX_KEY = 64

# (session) -> the directories linking reads; the default is every SQL directory we have.
Directories = Callable[[Session], tuple[ContactDirectory, ListingDirectory]]


def sql_directories(session: Session) -> tuple[ContactDirectory, ListingDirectory]:
    contacts = CombinedContactDirectory(SqlTrestleContacts(session), SqlBuildiumContacts(session))
    return contacts, SqlListings(session)


@dataclass
class ProcessReport:
    parsed: int = 0
    with_defects: int = 0
    unparseable: int = 0
    contact_links: int = 0
    listing_links: int = 0
    pages: int = 0

    def add(self, other: ProcessReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    # What the flows render for every slice (``wonder.ingest.report``).
    @property
    def resource(self) -> str:
        return "parse + link"

    @property
    def requests(self) -> int:
        return 0  # our own database only

    @property
    def quota(self) -> None:
        return None

    def headline(self) -> Headline:
        """Read: messages parsed; written: the links found (contacts and listings)."""
        return Headline(
            read=self.parsed,
            written=self.contact_links + self.listing_links,
            deleted=0,
            note=self.summary(),
        )

    def summary(self) -> str:
        return (
            f"parsed {self.parsed} messages in {self.pages} pages: {self.with_defects} with "
            f"defects ({self.unparseable} unparseable), {self.contact_links} contact links, "
            f"{self.listing_links} listing links"
        )


def defect_text(defect: Defect) -> str:
    return f"{defect.kind} ({defect.where})" + (f": {defect.detail}" if defect.detail else "")


def _parse_stored(raw_zlib: bytes, thread_id: str) -> ParsedMessage:
    try:
        raw = zlib.decompress(raw_zlib)
    except zlib.error as error:
        broken = parse_message(b"", thread_id=thread_id)
        defect = Defect(OwnDefect.UNPARSEABLE_MESSAGE, "message", f"stored bytes: {error}")
        return _with_defects(broken, (defect,))
    return parse_message(raw, thread_id=thread_id)


def _with_defects(message: ParsedMessage, defects: tuple[Defect, ...]) -> ParsedMessage:
    return replace(message, defects=defects)


def has_attachments(message: ParsedMessage) -> bool:
    return any(a.disposition == "attachment" or a.filename for a in message.attachments)


def _link_rows(row_id: int, links: Links) -> list[dict[str, Any]]:
    rows = [
        {
            "message_id": row_id,
            "role": link.role.value,
            "kind": "contact",
            "target_kind": link.contact.kind.value,
            "target_key": link.contact.key[:_MAX_KEY],
            "method": link.method.value,
            "confidence": link.confidence,
            "evidence": link.mailbox.address,
        }
        for link in links.contacts
    ]
    rows += [
        {
            "message_id": row_id,
            "role": LISTING_ROLE,
            "kind": "listing",
            "target_kind": "listing",
            "target_key": link.listing.listing_key[:_MAX_KEY],
            "method": link.method.value,
            "confidence": link.confidence,
            "evidence": link.evidence,
        }
        for link in links.listings
    ]
    return rows


def _attachment_rows(row_id: int, message: ParsedMessage) -> list[dict[str, Any]]:
    seen: set[str] = set()
    rows = []
    for a in message.attachments:
        if a.part in seen:
            continue
        seen.add(a.part)
        rows.append(
            {
                "message_id": row_id,
                "part": a.part[:_MAX_KEY],
                "filename": a.filename,
                "content_type": a.content_type[:255],
                "size": a.size,
                "content_id": a.content_id,
                "disposition": a.disposition,
            }
        )
    return rows


def _parsed_values(message: ParsedMessage, now: datetime) -> dict[str, Any]:
    sender = message.from_[0].address if message.from_ else None
    return {
        "subject": message.subject,
        "from_address": sender.lower()[:_MAX_ADDRESS] if sender else None,
        "sent_at": message.date,
        "has_attachments": has_attachments(message),
        "defects": [defect_text(d) for d in message.defects],
        "parsed_at": now,
        "parser_version": PARSER_VERSION,
    }


def process_page(
    session: Session,
    rows: Sequence[Any],
    directories: Directories,
    now: datetime,
    report: ProcessReport,
) -> None:
    """Parse and link ``rows`` (id, mailbox, gmail_id, thread_id, raw_zlib) in ``session``."""
    contacts, listings = directories(session)
    ids = [row.id for row in rows]
    session.execute(delete(_LINKS).where(_LINKS.c.message_id.in_(ids)))
    session.execute(delete(_ATTACHMENTS).where(_ATTACHMENTS.c.message_id.in_(ids)))
    links: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    for row in rows:
        message = _parse_stored(row.raw_zlib, row.thread_id)
        unparseable = OwnDefect.UNPARSEABLE_MESSAGE in message.defect_kinds()
        found = Links((), ()) if unparseable else link_message(message, contacts, listings)
        links += _link_rows(row.id, found)
        attachments += _attachment_rows(row.id, message)
        session.execute(
            update(_MESSAGES).where(_MESSAGES.c.id == row.id).values(_parsed_values(message, now))
        )
        report.parsed += 1
        report.with_defects += int(bool(message.defects))
        report.unparseable += int(unparseable)
        report.contact_links += len(found.contacts)
        report.listing_links += len(found.listings)
    if links:
        session.execute(_LINKS.insert(), links)
    if attachments:
        session.execute(_ATTACHMENTS.insert(), attachments)
    by_mailbox: dict[str, list[str]] = {}
    for row in rows:
        by_mailbox.setdefault(row.mailbox, []).append(row.gmail_id)
    for mailbox, gmail_ids in sorted(by_mailbox.items()):
        record_changes(session, mailbox, gmail_ids, "parsed", now)
    report.pages += 1


def process_mailboxes(
    sessions: sessionmaker[Session],
    mailboxes: Sequence[str],
    *,
    clock: Callable[[], datetime],
    directories: Directories = sql_directories,
) -> ProcessReport:
    """:func:`process_messages` of each mailbox, one report for them all."""
    total = ProcessReport()
    for mailbox in mailboxes:
        total.add(process_messages(sessions, clock=clock, mailbox=mailbox, directories=directories))
    return total


def process_messages(
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    mailbox: str | None = None,
    page_size: int = PAGE_SIZE,
    directories: Directories = sql_directories,
) -> ProcessReport:
    """Process every message not parsed by this parser version (of ``mailbox``, or all)."""
    report = ProcessReport()
    after = 0
    while True:
        with unit_of_work(sessions) as session:
            query = (
                select(
                    _MESSAGES.c.id,
                    _MESSAGES.c.mailbox,
                    _MESSAGES.c.gmail_id,
                    _MESSAGES.c.thread_id,
                    _MESSAGES.c.raw_zlib,
                )
                .where(
                    _MESSAGES.c.id > after,
                    or_(
                        _MESSAGES.c.parser_version.is_(None),
                        _MESSAGES.c.parser_version < PARSER_VERSION,
                    ),
                )
                .order_by(_MESSAGES.c.id)
                .limit(max(1, page_size))
            )
            if mailbox is not None:
                query = query.where(_MESSAGES.c.mailbox == mailbox)
            rows = session.execute(query).all()
            if not rows:
                return report
            process_page(session, rows, directories, clock(), report)
        after = rows[-1].id
