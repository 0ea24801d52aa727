"""Raw RFC 822 bytes (Gmail ``format=raw``, base64url-decoded) to a :class:`ParsedMessage`.

Pure and total: :func:`parse_message` never raises on bytes. Whatever is wrong is recorded as a
:class:`Defect` (the stdlib's, on the message and on every part, plus our own), and a message the
stdlib cannot parse at all comes back with an ``unparseable_message`` defect instead of being
dropped. Parsing is ``email.policy.default``; each header is parsed once, from its raw value
with 8-bit bytes decoded first, so no U+FFFD hides a recoverable name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any, Literal

from wonder.mail.charsets import clean_header, codec_for, decode_bytes
from wonder.mail.html_text import html_to_text
from wonder.mail.message import Address, Attachment, Defect, OwnDefect, ParsedMessage
from wonder.mail.mime_policy import POLICY, simple_addresses
from wonder.mail.replies import split_reply

_PARSER = BytesParser(policy=POLICY)
_FOLDING = re.compile(r"\r?\n(?=[ \t])|\r?\n$")
_WORD_CHARSET = re.compile(r"=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_ADDRESS_HEADERS = ("from", "sender", "to", "cc", "bcc", "reply-to")
_BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched"})
_MAX_DEPTH = 40  # deeper nesting is hostile: its parts are not read
_DETAIL_LIMIT = 200
_DEFECT_LIMIT = 100  # a hostile message repeats one defect thousands of times: kept once each


@dataclass
class _Reading:
    """What one parse accumulates while it walks the message."""

    defects: list[Defect] = field(default_factory=list)
    seen: set[Defect] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    html_present: bool = False

    def add(self, kind: str, where: str, detail: object = "") -> None:
        defect = Defect(kind, where, str(detail)[:_DETAIL_LIMIT])
        if defect in self.seen or len(self.defects) > _DEFECT_LIMIT:
            return
        self.seen.add(defect)
        if len(self.defects) == _DEFECT_LIMIT:
            defect = Defect(OwnDefect.DEFECTS_TRUNCATED, "message", f"more than {_DEFECT_LIMIT}")
        self.defects.append(defect)

    def add_stdlib(self, defects: Iterable[Exception], where: str) -> None:
        for defect in defects:
            self.add(type(defect).__name__, where, defect)


def parse_message(raw: bytes, *, thread_id: str | None = None) -> ParsedMessage:
    """Parse one message; ``thread_id`` is Gmail's threadId when the caller has it."""
    try:
        return _parse(raw, thread_id)
    except Exception as exc:  # the contract: bytes in, a message (maybe only defects) out
        detail = f"{type(exc).__name__}: {exc}"[:_DETAIL_LIMIT]
        return _empty(raw, thread_id, (Defect(OwnDefect.UNPARSEABLE_MESSAGE, "message", detail),))


def _empty(raw: bytes, thread_id: str | None, defects: tuple[Defect, ...]) -> ParsedMessage:
    return ParsedMessage(
        message_id=None, in_reply_to=(), references=(), thread_id=thread_id, from_=(),
        sender=(), to=(), cc=(), bcc=(), reply_to=(), subject="", date=None, text="",
        new_text="", quoted_text="", signature="", html_present=False, attachments=(),
        defects=defects, size=len(raw), headers=(),
    )  # fmt: skip


def _parse(raw: bytes, thread_id: str | None) -> ParsedMessage:
    message = _PARSER.parsebytes(raw)
    reading = _Reading()
    headers = _raw_headers(message, reading, "message")
    first = {name.lower(): value for name, value in reversed(headers)}
    _walk(message, "", reading, 0, collect_text=True, headers=dict(first))
    text = "\n\n".join(t for t in reading.texts if t.strip())
    if "\x00" in text:
        text = text.replace("\x00", "")
        reading.add(OwnDefect.NUL_CHARACTER, "message", "body")
    parts = split_reply(text)
    addresses = {name: _addresses(name, headers, reading) for name in _ADDRESS_HEADERS}
    return ParsedMessage(
        message_id=_first_id(first.get("message-id")),
        in_reply_to=_ids(first.get("in-reply-to")),
        references=_ids(first.get("references")),
        thread_id=thread_id,
        from_=addresses["from"],
        sender=addresses["sender"],
        to=addresses["to"],
        cc=addresses["cc"],
        bcc=addresses["bcc"],
        reply_to=addresses["reply-to"],
        subject=_unstructured("subject", first.get("subject", ""), reading),
        date=_date(first.get("date"), reading),
        text=text,
        new_text=parts.new_text,
        quoted_text=parts.quoted_text,
        signature=parts.signature,
        html_present=reading.html_present,
        attachments=tuple(reading.attachments),
        defects=tuple(reading.defects),
        size=len(raw),
        headers=tuple((name, _decoded_words(value)) for name, value in headers),
    )


# -- headers -----------------------------------------------------------------------------------


def _raw_headers(part: Message, reading: _Reading, where: str) -> list[tuple[str, str]]:
    """(name, unfolded value) with 8-bit bytes decoded (a defect each) and NULs dropped."""
    out: list[tuple[str, str]] = []
    for name, value in part.raw_items():
        text, defect = clean_header(_FOLDING.sub("", str(value)))
        header_where = f"header {name.lower()}" if where == "message" else where
        if defect is not None:
            reading.add(defect, header_where, name)
        if "=?" in text:
            for charset in _WORD_CHARSET.findall(text):
                if codec_for(charset) is None and charset.lower() != "unknown-8bit":
                    reading.add(OwnDefect.UNKNOWN_CHARSET, header_where, charset)
        out.append((str(name), text))
    return out


def _parsed_header(name: str, value: str, reading: _Reading, where: str) -> Any:
    """The policy's header object for a cleaned value (None, plus a defect, if it raised)."""
    try:
        header = POLICY.header_factory(name, value)
    except Exception as exc:  # the header parser has raised on hostile input before
        reading.add(OwnDefect.BAD_HEADER, where, f"{type(exc).__name__}: {exc}")
        return None
    reading.add_stdlib(header.defects, where)
    return header


def _unstructured(name: str, value: str, reading: _Reading) -> str:
    if "=?" not in value:
        return value.strip()
    header = _parsed_header(name, value, reading, f"header {name}")
    decoded = str(header) if header is not None else value
    if "\ufffd" in decoded and "\ufffd" not in value:
        reading.add(OwnDefect.UNDECODABLE_HEADER, f"header {name}", "encoded word")
    return decoded.strip()


def _decoded_words(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # unknown charsets and broken words: the raw text is the best we have
        return value


def _addresses(name: str, headers: list[tuple[str, str]], reading: _Reading) -> tuple[Address, ...]:
    found: list[Address] = []
    for header_name, value in headers:
        if header_name.lower() != name:
            continue
        where = f"header {name}"
        pairs = simple_addresses(value)
        if pairs is not None:
            pass
        elif (header := _parsed_header(name, value, reading, where)) is not None:
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        else:
            pairs = getaddresses([value])
        for display, spec in pairs:
            display, spec = clean_header(str(display))[0], clean_header(str(spec))[0]
            if spec.strip() or display.strip():
                found.append(Address(display.strip(), spec.strip().strip("<>")))
    return tuple(found)


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MESSAGE_ID.findall(value))) if value else ()


def _first_id(value: str | None) -> str | None:
    if value is None:
        return None
    ids = _MESSAGE_ID.findall(value)
    if ids:
        return str(ids[0])
    bare = value.strip()
    return bare if bare and " " not in bare and len(bare) <= 998 else None


def _date(value: str | None, reading: _Reading) -> datetime | None:
    if value is None or not value.strip():
        reading.add(OwnDefect.MISSING_DATE, "header date")
        return None
    header = _parsed_header("date", value, reading, "header date")
    moment = getattr(header, "datetime", None) if header is not None else None
    if not isinstance(moment, datetime):
        reading.add(OwnDefect.BAD_DATE, "header date", value[:80])
        return None
    if moment.tzinfo is None:
        reading.add(OwnDefect.DATE_WITHOUT_ZONE, "header date", value[:80])
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 at +0100 and the like
        reading.add(OwnDefect.BAD_DATE, "header date", value[:80])
        return None


# -- parts -------------------------------------------------------------------------------------


def _content_type(
    part: Message, headers: dict[str, str], reading: _Reading, where: str
) -> tuple[str, dict[str, str]]:
    value = headers.get("content-type")
    if value is None:
        return part.get_default_type(), {}
    header = _parsed_header("content-type", value, reading, where)
    if header is None or "/" not in str(header.content_type):
        return "text/plain", {}
    return str(header.content_type), dict(header.params)


def _walk(
    part: Message,
    path: str,
    reading: _Reading,
    depth: int,
    *,
    collect_text: bool,
    headers: dict[str, str] | None = None,
) -> None:
    where = f"part {path}" if path else "message"
    if depth > _MAX_DEPTH:
        reading.add(OwnDefect.UNDECODABLE_PART, where, "nested too deep")
        return
    if headers is None:
        headers = {n.lower(): v for n, v in reversed(_raw_headers(part, reading, where))}
    ctype, params = _content_type(part, headers, reading, where)
    payload = part.get_payload()
    if isinstance(payload, list):
        if ctype == "message/rfc822" or not ctype.startswith("multipart/"):
            _attached_message(part, ctype, path, reading, headers)
            collect_text = False
        chosen = _alternative(payload, reading) if ctype == "multipart/alternative" else None
        for index, child in enumerate(payload, start=1):
            if isinstance(child, Message):
                child_path = f"{path}.{index}" if path else str(index)
                keep = collect_text and (chosen is None or child is chosen)
                _walk(child, child_path, reading, depth + 1, collect_text=keep)
    else:
        if ctype.startswith("multipart/"):  # no boundary found: the body is all there is
            ctype = "text/plain"
        _leaf(part, ctype, params, headers, path or "1", reading, collect_text=collect_text)
    reading.add_stdlib(part.defects, where)


def _alternative(children: list[Any], reading: _Reading) -> Message | None:
    """The alternative to read text from: plain text if it says anything, else the first other."""
    candidates = [c for c in children if isinstance(c, Message)]
    for child in candidates:
        if child.get_content_type() == "text/plain" and not _is_attachment(child):
            body = child.get_payload(decode=True)
            if isinstance(body, bytes) and body.strip():
                return child
    others = [c for c in candidates if c.get_content_type() != "text/plain"]
    return others[0] if others else (candidates[0] if candidates else None)


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or part.get_filename() is not None


def _leaf(
    part: Message,
    ctype: str,
    params: dict[str, str],
    headers: dict[str, str],
    path: str,
    reading: _Reading,
    *,
    collect_text: bool,
) -> None:
    where = f"part {path}"
    disposition: Literal["inline", "attachment"] = "inline"
    filename = params.get("name")
    if "content-disposition" in headers:
        header = _parsed_header(
            "content-disposition", headers["content-disposition"], reading, where
        )
        if header is not None:
            if header.content_disposition == "attachment":
                disposition = "attachment"
            filename = header.params.get("filename") or filename
    if filename is not None:
        filename = _decoded_words(clean_header(str(filename))[0]).strip() or None
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:  # an undecodable transfer encoding
        reading.add(OwnDefect.UNDECODABLE_PART, where, f"{type(exc).__name__}: {exc}")
        data = b""
    body = data if isinstance(data, bytes) else b""
    is_body = ctype in _BODY_TYPES and disposition == "inline" and filename is None
    if not is_body:
        content_id = headers.get("content-id", "").strip().strip("<>") or None
        reading.attachments.append(
            Attachment(filename, ctype, len(body), content_id, disposition, path)
        )
        return
    if ctype == "text/html":
        reading.html_present = True
    if not collect_text:
        return
    text, defect = decode_bytes(body, params.get("charset"))
    if defect is not None:
        reading.add(defect, where, params.get("charset", ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reading.texts.append(html_to_text(text) if ctype == "text/html" else text)


def _attached_message(
    part: Message, ctype: str, path: str, reading: _Reading, headers: dict[str, str]
) -> None:
    try:
        size = len(part.as_bytes(policy=POLICY)) if part.get_payload() else 0
    except Exception:  # a malformed attached message still counts as attached
        size = 0
    inner = part.get_payload(0) if part.get_payload() else None
    subject = inner.get("subject") if isinstance(inner, Message) else None
    filename = clean_header(str(subject))[0].strip() if subject else None
    disposition: Literal["inline", "attachment"] = (
        "attachment" if "attachment" in headers.get("content-disposition", "").lower() else "inline"
    )
    reading.attachments.append(Attachment(filename, ctype, size, None, disposition, path or "1"))
