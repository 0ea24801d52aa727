"""A stored message as Gmail's ``Message`` resource, in each ``format``.

- ``minimal``: id, threadId, labelIds, snippet, sizeEstimate, historyId, internalDate;
- ``raw``: minimal + ``raw`` (the RFC 822 bytes, base64url);
- ``metadata``: minimal + ``payload`` with the top-level headers only (``metadataHeaders``
  picks some, case-insensitively);
- ``full``: minimal + the ``payload`` tree: every part with partId, mimeType, filename,
  headers and ``body``; a leaf's content is inline (``data``, base64url) unless it is an
  attachment, which gets an ``attachmentId`` for ``messages.attachments.get``.

Malformed mail is served as it is (the MIME is parsed with the lenient compat32 policy, like
Gmail's own parser it never refuses a message). Header values are served undecoded.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import re
from collections.abc import Iterator, Sequence
from email.message import Message
from typing import Any

from wonder.sandbox.gmail.mailbox import StoredMessage

FORMATS = ("full", "raw", "metadata", "minimal")
SNIPPET_CHARS = 120
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def parse_mime(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _leaf_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    text = part.get_payload()
    return text.encode("utf-8", "replace") if isinstance(text, str) else b""


def _decode(data: bytes, charset: str | None) -> str:
    """Text in its declared charset; an unknown or lying one falls back to UTF-8."""
    try:
        return data.decode(charset or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def snippet(raw: bytes) -> str:
    message = parse_mime(raw)
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.get_filename():
            text = _decode(_leaf_bytes(part), part.get_content_charset())
            if part.get_content_subtype() == "html":
                text = _TAGS.sub(" ", text)
            return _SPACE.sub(" ", text).strip()[:SNIPPET_CHARS]
    return ""


def attachment_id(message_id: str, part_id: str) -> str:
    digest = hashlib.sha256(f"{message_id}/{part_id}".encode()).digest()
    return "ANGjd" + b64url(digest).rstrip("=")


def _headers(part: Message, only: Sequence[str] | None = None) -> list[dict[str, str]]:
    wanted = {name.lower() for name in only} if only else None
    return [
        {"name": name, "value": str(value)}
        for name, value in part.items()
        if wanted is None or name.lower() in wanted
    ]


def _parts(message_id: str, part: Message, part_id: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        node["body"] = {"size": 0}
        prefix = "" if part_id == "" else f"{part_id}."
        node["parts"] = [
            _parts(message_id, child, f"{prefix}{index}") for index, child in enumerate(children)
        ]
        return node
    content = _leaf_bytes(part)
    is_attachment = bool(part.get_filename()) or part.get_content_disposition() == "attachment"
    if is_attachment:
        node["body"] = {
            "size": len(content),
            "attachmentId": attachment_id(message_id, part_id or "0"),
        }
    else:
        node["body"] = {"size": len(content), "data": b64url(content)}
    return node


def message_resource(
    message: StoredMessage, fmt: str, metadata_headers: Sequence[str] = ()
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": sorted(message.label_ids),
        "snippet": snippet(message.raw),
        "sizeEstimate": len(message.raw),
        "historyId": str(message.history_id),
        "internalDate": str(message.internal_date_ms),
    }
    if fmt == "raw":
        resource["raw"] = b64url(message.raw)
    elif fmt == "metadata":
        top = parse_mime(message.raw)
        resource["payload"] = {
            "partId": "",
            "mimeType": top.get_content_type(),
            "filename": "",
            "headers": _headers(top, metadata_headers or None),
            "body": {"size": 0},
        }
    elif fmt == "full":
        resource["payload"] = _parts(message.id, parse_mime(message.raw), "")
    return resource


def attachment_bytes(message: StoredMessage, wanted_id: str) -> bytes | None:
    """The content of the attachment with that id, or None."""
    for part_id, part in _walk_with_ids(parse_mime(message.raw), ""):
        if not part.is_multipart() and attachment_id(message.id, part_id or "0") == wanted_id:
            return _leaf_bytes(part)
    return None


def _walk_with_ids(part: Message, part_id: str) -> Iterator[tuple[str, Message]]:
    yield part_id, part
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        prefix = "" if part_id == "" else f"{part_id}."
        for index, child in enumerate(children):
            yield from _walk_with_ids(child, f"{prefix}{index}")
