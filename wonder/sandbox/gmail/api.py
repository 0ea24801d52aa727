"""The Gmail REST methods the platform uses, on one mailbox (auth and quota come before).

Each method takes the request and the mailbox and returns a Reply with Google's shapes:
``messages.list`` (``q``, ``labelIds``, ``includeSpamTrash``, ``maxResults`` ≤ 500, opaque
``pageToken``), ``messages.get`` (every ``format``), ``messages.attachments.get``,
``messages.modify``, ``labels.list``/``create``, ``history.list`` (``startHistoryId``
required, ``historyTypes``, ``labelId``, paging; 404 once expired), ``getProfile``,
``watch``/``stop``. ``fields`` selects a partial response on every method.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from wonder.sandbox.gmail.mailbox import HISTORY_TYPES, HistoryRecord, Mailbox
from wonder.sandbox.gmail.partial import FieldsError, apply_fields, parse_fields
from wonder.sandbox.gmail.quota import google_error
from wonder.sandbox.gmail.resources import FORMATS, attachment_bytes, b64url, message_resource
from wonder.sandbox.gmail.search import QueryError, SearchContext, compile_query
from wonder.sandbox.gmail.state import GmailState
from wonder.sandbox.http import Reply, SandboxRequest, json_reply

MAX_RESULTS = 500
DEFAULT_LIST_RESULTS = 100


class ApiError(Exception):
    def __init__(self, code: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason

    def reply(self) -> Reply:
        return json_reply(self.code, google_error(self.code, self.message, self.reason))


def _bad(message: str) -> ApiError:
    return ApiError(400, message, "invalidArgument")


def _values(request: SandboxRequest, name: str) -> list[str]:
    return [value for key, value in request.query if key == name]


def _one(request: SandboxRequest, name: str) -> str | None:
    values = _values(request, name)
    return values[-1] if values else None


def _max_results(request: SandboxRequest, default: int) -> int:
    text = _one(request, "maxResults")
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _bad(f"Invalid value for maxResults: {text[:40]}") from None
    if value < 1:
        raise _bad("maxResults must be positive")
    return min(value, MAX_RESULTS)


def _page_start(request: SandboxRequest) -> int:
    token = _one(request, "pageToken")
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode() + b"==").decode().removeprefix("p"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad("Invalid pageToken") from None


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"p{offset}".encode()).decode().rstrip("=")


def _json_body(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = orjson.loads(request.body) if request.body.strip() else {}
    except orjson.JSONDecodeError:
        raise _bad("Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise _bad("Invalid JSON payload received.")
    return body


def answer(request: SandboxRequest, payload: dict[str, Any]) -> Reply:
    selector = _one(request, "fields")
    if selector:
        try:
            payload = apply_fields(payload, parse_fields(selector))
        except FieldsError as exc:
            raise _bad(str(exc)) from None
    return json_reply(200, payload)


class GmailApi:
    def __init__(self, state: GmailState) -> None:
        self._state = state

    def profile(self, request: SandboxRequest, box: Mailbox) -> Reply:
        threads = {m.thread_id for m in box.messages.values()}
        return answer(
            request,
            {
                "emailAddress": box.address,
                "messagesTotal": len(box.messages),
                "threadsTotal": len(threads),
                "historyId": str(box.history_id),
            },
        )

    def list_messages(self, request: SandboxRequest, box: Mailbox) -> Reply:
        context = SearchContext(
            self._state.clock.now_micros() // 1000,
            {label.name.lower(): label.id for label in box.labels.values()},
        )
        try:
            predicate, names_hidden = compile_query(_one(request, "q") or "", context)
        except QueryError as exc:
            raise _bad(f"Invalid query: {exc}") from None
        labels = set(_values(request, "labelIds"))
        include_hidden = names_hidden or _one(request, "includeSpamTrash") == "true"
        hidden = set() if include_hidden else {"SPAM", "TRASH"}
        matching = [
            m
            for m in box.newest_first()
            if labels <= m.label_ids and not (hidden & m.label_ids) and predicate(m)
        ]
        start, size = _page_start(request), _max_results(request, DEFAULT_LIST_RESULTS)
        page = matching[start : start + size]
        payload: dict[str, Any] = {"resultSizeEstimate": len(matching)}
        if page:
            payload["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if start + size < len(matching):
            payload["nextPageToken"] = _page_token(start + size)
        return answer(request, payload)

    def get_message(self, request: SandboxRequest, box: Mailbox, message_id: str) -> Reply:
        fmt = _one(request, "format") or "full"
        if fmt not in FORMATS:
            raise _bad(f"Invalid value at 'format' ({fmt[:40]})")
        message = box.messages.get(message_id)
        if message is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return answer(request, message_resource(message, fmt, _values(request, "metadataHeaders")))

    def get_attachment(
        self, request: SandboxRequest, box: Mailbox, message_id: str, attachment: str
    ) -> Reply:
        message = box.messages.get(message_id)
        content = attachment_bytes(message, attachment) if message else None
        if content is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return answer(
            request, {"attachmentId": attachment, "size": len(content), "data": b64url(content)}
        )

    def modify(self, request: SandboxRequest, box: Mailbox, message_id: str) -> Reply:
        body = _json_body(request)
        add, remove = body.get("addLabelIds") or [], body.get("removeLabelIds") or []
        unknown = [label for label in (*add, *remove) if label not in box.labels]
        if unknown:
            raise _bad(f"Invalid label: {str(unknown[0])[:40]}")
        if message_id not in box.messages:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        message = box.modify(message_id, add, remove)
        self._state.changed(box, {*add, *remove})
        return answer(request, message_resource(message, "minimal"))

    def list_labels(self, request: SandboxRequest, box: Mailbox) -> Reply:
        labels = [
            {"id": label.id, "name": label.name, "type": label.type}
            for label in box.labels.values()
        ]
        return answer(request, {"labels": labels})

    def create_label(self, request: SandboxRequest, box: Mailbox) -> Reply:
        name = _json_body(request).get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad("Invalid label name")
        try:
            label = box.create_label(name)
        except ValueError:
            raise ApiError(409, "Label name exists or conflicts", "duplicate") from None
        return answer(request, {"id": label.id, "name": label.name, "type": label.type})

    def history(self, request: SandboxRequest, box: Mailbox) -> Reply:
        start_text = _one(request, "startHistoryId")
        if not start_text or not start_text.isdigit():
            raise _bad("Missing or invalid startHistoryId")
        start = int(start_text)
        if box.expired(start):
            raise ApiError(404, "Requested entity was not found.", "notFound")
        types = set(_values(request, "historyTypes")) or set(HISTORY_TYPES)
        if not types <= set(HISTORY_TYPES):
            raise _bad("Invalid value for historyTypes")
        label = _one(request, "labelId")
        records = [
            record
            for record in box.history_after(start)
            if record.type in types
            and (label is None or label in record.labels_after or label in record.label_ids)
        ]
        offset, size = _page_start(request), _max_results(request, DEFAULT_LIST_RESULTS)
        page = records[offset : offset + size]
        payload: dict[str, Any] = {"historyId": str(box.history_id)}
        if page:
            payload["history"] = [_history_entry(record) for record in page]
        if offset + size < len(records):
            payload["nextPageToken"] = _page_token(offset + size)
        return answer(request, payload)

    def watch(self, request: SandboxRequest, box: Mailbox) -> Reply:
        body = _json_body(request)
        topic = body.get("topicName")
        if not isinstance(topic, str) or not topic.startswith("projects/"):
            raise _bad("Invalid topicName does not match projects/{project}/topics/{topic}")
        labels = body.get("labelIds") or []
        behavior = str(
            body.get("labelFilterBehavior") or body.get("labelFilterAction") or "include"
        )
        return answer(
            request, self._state.watch(box.address, list(labels), behavior.lower(), topic)
        )

    def stop(self, request: SandboxRequest, box: Mailbox) -> Reply:
        self._state.stop(box.address)
        return Reply(204, b"", "application/json")

    def routes(self) -> list[tuple[str, str, Callable[..., Reply]]]:
        """(HTTP method, path pattern after ``users/{userId}/``, handler)."""
        return [
            ("GET", "profile", self.profile),
            ("GET", "messages", self.list_messages),
            ("GET", "messages/{id}", self.get_message),
            ("GET", "messages/{id}/attachments/{id}", self.get_attachment),
            ("POST", "messages/{id}/modify", self.modify),
            ("GET", "labels", self.list_labels),
            ("POST", "labels", self.create_label),
            ("GET", "history", self.history),
            ("POST", "watch", self.watch),
            ("POST", "stop", self.stop),
        ]


def _history_entry(record: HistoryRecord) -> dict[str, Any]:
    ref = {"id": record.message_id, "threadId": record.thread_id}
    full = {**ref, "labelIds": list(record.labels_after)}
    entry: dict[str, Any] = {"id": str(record.id), "messages": [ref]}
    if record.type == "messageAdded":
        entry["messagesAdded"] = [{"message": full}]
    elif record.type == "messageDeleted":
        entry["messagesDeleted"] = [{"message": ref}]
    elif record.type == "labelAdded":
        entry["labelsAdded"] = [{"message": full, "labelIds": list(record.label_ids)}]
    else:
        entry["labelsRemoved"] = [{"message": full, "labelIds": list(record.label_ids)}]
    return entry


METHOD_NAMES: dict[str, str] = {
    "profile": "getProfile",
    "messages": "messages.list",
    "messages/{id}": "messages.get",
    "messages/{id}/attachments/{id}": "messages.attachments.get",
    "messages/{id}/modify": "messages.modify",
    "labels": "labels.list",
    "history": "history.list",
    "watch": "watch",
    "stop": "stop",
}


def method_name(http_method: str, pattern: str) -> str:
    if pattern == "labels" and http_method == "POST":
        return "labels.create"
    return METHOD_NAMES[pattern]


def match(parts: Sequence[str], pattern: str) -> list[str] | None:
    """The ``{id}`` values when ``parts`` match ``pattern`` (segment by segment), else None."""
    expected = pattern.split("/")
    if len(parts) != len(expected):
        return None
    ids: list[str] = []
    for part, want in zip(parts, expected, strict=True):
        if want == "{id}":
            ids.append(part)
        elif part != want:
            return None
    return ids
