"""MessageService records -> wonder.v1 messages, and the service's resource names."""

from __future__ import annotations

from collections.abc import Sequence

from wonder.errors import InvalidArgument, echo
from wonder.mail.read_repository import (
    AttachmentRecord,
    ChangeRecord,
    LinkRecord,
    MessageRecord,
    ThreadRecord,
)
from wonder.proto_values import timestamp
from wonder.v1 import message_pb2

MAX_SEGMENT = 320  # a mailbox address is at most 320 characters
_LINK_KINDS = {
    "contact": message_pb2.MessageLink.KIND_CONTACT,
    "listing": message_pb2.MessageLink.KIND_LISTING,
}
_CHANGE_KINDS = {
    "stored": message_pb2.MessageChange.KIND_STORED,
    "labels": message_pb2.MessageChange.KIND_LABELS,
    "deleted": message_pb2.MessageChange.KIND_DELETED,
    "parsed": message_pb2.MessageChange.KIND_PARSED,
}


def parse_name(name: str, pattern: Sequence[str], field: str = "name") -> list[str]:
    """The variable segments of ``name`` laid out as ``pattern`` (collections, alternating
    with values): ``("mailboxes", "messages")`` reads ``mailboxes/{a}/messages/{b}``."""
    parts = name.split("/")
    ok = len(parts) == 2 * len(pattern) and all(
        parts[2 * i] == collection for i, collection in enumerate(pattern)
    )
    values = parts[1::2]
    if ok and all(v and len(v) <= MAX_SEGMENT and v.isprintable() for v in values):
        return values
    shape = "/".join(f"{c}/{{{c[:-1]}}}" for c in pattern)
    raise InvalidArgument(
        field, f"expected a resource name of the form '{shape}', got {echo(name)}"
    )


def message_name(mailbox: str, gmail_id: str) -> str:
    return f"mailboxes/{mailbox}/messages/{gmail_id}"


def thread_name(mailbox: str, thread_id: str) -> str:
    return f"mailboxes/{mailbox}/threads/{thread_id}"


def attachment_to_proto(
    mailbox: str, gmail_id: str, row: AttachmentRecord
) -> message_pb2.Attachment:
    return message_pb2.Attachment(
        name=f"{message_name(mailbox, gmail_id)}/attachments/{row.part}",
        filename=row.filename or "",
        content_type=row.content_type,
        size_bytes=row.size,
        content_id=row.content_id or "",
        disposition=row.disposition,
    )


def link_to_proto(row: LinkRecord) -> message_pb2.MessageLink:
    target = (
        f"listings/{row.target_key}"
        if row.kind == "listing"
        else f"{row.target_kind}/{row.target_key}"
    )
    return message_pb2.MessageLink(
        kind=_LINK_KINDS.get(row.kind, message_pb2.MessageLink.KIND_UNSPECIFIED),
        target=target,
        role=row.role,
        method=row.method,
        confidence=row.confidence,
        evidence=row.evidence or "",
    )


def message_to_proto(
    row: MessageRecord,
    links: Sequence[LinkRecord],
    attachments: Sequence[AttachmentRecord],
) -> message_pb2.Message:
    return message_pb2.Message(
        name=message_name(row.mailbox, row.gmail_id),
        mailbox=row.mailbox,
        gmail_id=row.gmail_id,
        thread=thread_name(row.mailbox, row.thread_id),
        label_ids=sorted(row.label_ids),
        internal_time=timestamp(row.internal_date),
        sent_time=timestamp(row.sent_at),
        subject=row.subject or "",
        from_address=row.from_address or "",
        has_attachments=bool(row.has_attachments),
        defects=list(row.defects or ()),
        parse_time=timestamp(row.parsed_at),
        delete_time=timestamp(row.deleted_at),
        size_bytes=row.size_estimate,
        links=[link_to_proto(link) for link in links],
        attachments=[attachment_to_proto(row.mailbox, row.gmail_id, a) for a in attachments],
    )


def thread_to_proto(
    row: ThreadRecord, messages: Sequence[message_pb2.Message] = ()
) -> message_pb2.Thread:
    return message_pb2.Thread(
        name=thread_name(row.mailbox, row.thread_id),
        message_count=row.message_count,
        last_message_time=timestamp(row.last_internal_date),
        messages=list(messages),
    )


def change_to_proto(
    row: ChangeRecord, message: message_pb2.Message | None
) -> message_pb2.MessageChange:
    change = message_pb2.MessageChange(
        cursor=row.seq,
        kind=_CHANGE_KINDS.get(row.kind, message_pb2.MessageChange.KIND_UNSPECIFIED),
        message_name=message_name(row.mailbox, row.gmail_id),
        change_time=timestamp(row.changed_at),
    )
    if message is not None:
        change.message.CopyFrom(message)
    return change
