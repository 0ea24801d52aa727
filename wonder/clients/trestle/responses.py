"""Trestle answers → values (pure): OData pages, the EDMX text, OData and OAuth2 error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ODataPage:
    """One page of an OData collection."""

    records: list[dict[str, Any]]
    next_link: str | None
    count: int | None  # @odata.count when count=True was asked


def parse_json(content: bytes) -> object | None:
    try:
        parsed: object = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed


def parse_page(content: bytes) -> ODataPage | None:
    """An OData collection page, or ``None`` when the body is truncated or not a collection."""
    body = parse_json(content)
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        return None
    records = [record for record in body["value"] if isinstance(record, dict)]
    next_link = body.get("@odata.nextLink")
    count = body.get("@odata.count")
    return ODataPage(
        records=records,
        next_link=next_link if isinstance(next_link, str) and next_link else None,
        count=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


def parse_edmx(content: bytes) -> str | None:
    """The EDMX text, or ``None`` when it is cut short (it must close its root element)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.rstrip().endswith("Edmx>") else None


def odata_error(response: httpx.Response) -> tuple[str | None, str]:
    """``(code, message)`` from an OData error body ``{"error": {"code", "message"}}``."""
    body = parse_json(response.content)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = error.get("code")
        message = error.get("message")
        return (
            str(code) if code not in (None, "") else None,
            str(message) if message else response.reason_phrase,
        )
    return None, response.reason_phrase


def oauth_error(response: httpx.Response) -> tuple[str | None, str]:
    """``(error, error_description)`` from an OAuth2 error body, falling back to OData's shape."""
    body = parse_json(response.content)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"], str(description) if description else ""
    return odata_error(response)
