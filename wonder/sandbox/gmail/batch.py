"""``POST /batch/gmail/v1``: a multipart/mixed body of ``application/http`` inner calls.

Each part holds one request line, its headers and body; the answer is a multipart/mixed body
with one ``application/http`` part per call, in order, each ``Content-ID: <response-ID>`` for
the request's ``Content-ID: <ID>``. Every inner call is charged and can fail on its own (a 429
inside a batch is that part's answer). More than ``MAX_BATCH_CALLS`` parts is a 400 for the
whole batch ("Inner request count exceeds the limit"), as the server enforces.
"""

from __future__ import annotations

import email.parser
import email.policy
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from wonder.sandbox.http import Reply

REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class BatchError(ValueError):
    pass


@dataclass(frozen=True)
class InnerCall:
    content_id: str
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


def parse_batch(content_type: str, body: bytes) -> list[InnerCall]:
    envelope = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not envelope.is_multipart():
        raise BatchError("a batch body must be multipart/mixed with a boundary")
    calls: list[InnerCall] = []
    parts = envelope.get_payload()
    assert isinstance(parts, list)
    for index, part in enumerate(parts):
        content_id = str(part.get("Content-ID", f"<item{index}>")).strip()
        payload = part.get_payload(decode=False)
        if not isinstance(payload, str):
            raise BatchError(f"part {index} is not an application/http request")
        calls.append(_inner(content_id, payload))
    return calls


def _inner(content_id: str, text: str) -> InnerCall:
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.strip("\n").split("\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise BatchError(f"bad request line {lines[0][:80]!r}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    split = urlsplit(target)
    return InnerCall(
        content_id,
        method.upper(),
        unquote(split.path),
        parse_qsl(split.query, keep_blank_values=True),
        headers,
        body.encode("utf-8"),
    )


def compose_batch(answers: list[tuple[str, Reply]]) -> Reply:
    boundary = f"batch_{secrets.token_hex(12)}"
    chunks: list[bytes] = []
    for content_id, reply in answers:
        inner_id = content_id[1:-1] if content_id.startswith("<") else content_id
        status_line = f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Error')}"
        chunks.append(
            (
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{inner_id}>\r\n\r\n{status_line}\r\n"
                f"Content-Type: {reply.content_type}; charset=UTF-8\r\n"
                f"Content-Length: {len(reply.body)}\r\n\r\n"
            ).encode()
            + reply.body
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return Reply(200, b"".join(chunks), f"multipart/mixed; boundary={boundary}")
