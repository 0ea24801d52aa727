"""What the message API lets callers filter and sort on (``wonder.aip`` grammar).

``label``, ``contact``, ``listing`` and ``has_attachment`` have no column of their own:
``wonder.mail.read_repository`` compiles them (a label in ``label_ids``, a row of
``mail_links``); they take ``=`` only (``NOT`` negates). ``contact`` is
``{source}/{key}``: ``buildium_tenant/17``, ``trestle_member/M123``.
"""

from __future__ import annotations

from wonder.aip.fields import Catalogue, Enumeration, FieldSpec, FieldType, fields

_S, _I, _T = FieldType.STRING, FieldType.INTEGER, FieldType.TIMESTAMP

ROW_ID = FieldSpec("id", "id", _I, nullable=False)
INTERNAL_TIME = FieldSpec("internal_time", "internal_date", _T, nullable=False)
SENT_TIME = FieldSpec("sent_time", "sent_at", _T)
MAILBOX = FieldSpec("mailbox", "mailbox", _S, nullable=False)
THREAD = FieldSpec("thread", "thread_id", _S, nullable=False)
SENDER = FieldSpec("sender", "from_address", _S)
LABEL = FieldSpec("label", "label_ids", _S, nullable=False)
CONTACT = FieldSpec("contact", "contact", _S, nullable=False)
LISTING = FieldSpec("listing", "listing", _S, nullable=False)
HAS_ATTACHMENT = FieldSpec(
    "has_attachment",
    "has_attachments",
    _S,
    nullable=False,
    enumeration=Enumeration(("true", "false")),
)
# Compiled by the read repository, not as a column comparison.
SPECIAL = frozenset({LABEL.name, CONTACT.name, LISTING.name, HAS_ATTACHMENT.name})

MESSAGES = Catalogue(
    filter_fields=fields(
        MAILBOX, LABEL, SENDER, CONTACT, LISTING, THREAD, INTERNAL_TIME, SENT_TIME, HAS_ATTACHMENT
    ),
    order_fields=fields(INTERNAL_TIME),
    tiebreak=ROW_ID,
)

THREAD_MAILBOX = FieldSpec("mailbox", "mailbox", _S, nullable=False)
THREAD_ID = FieldSpec("thread", "thread_id", _S, nullable=False)
# Threads page by (mailbox, thread id); their filter is the message filter (a thread matches
# when one of its messages does).
THREAD_POSITION = (THREAD_MAILBOX, THREAD_ID)
ATTACHMENT_POSITION = (FieldSpec("part", "part", _S, nullable=False),)
