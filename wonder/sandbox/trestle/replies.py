"""Trestle's wire conventions: paths, content types and OData error bodies."""

from __future__ import annotations

import orjson

from wonder.sandbox.http import Reply

TOKEN_PATH = "/trestle/oidc/connect/token"  # noqa: S105 (a URL path)
ODATA_PREFIX = "/trestle/odata"
# Where the MediaURLs of the records point (on the host the client reached the sandbox at).
MEDIA_PREFIX = "/trestle/media"
QUOTA_HEADER = "Minute-Quota-Limit"  # present when an answer carries the quota headers
ODATA_JSON = "application/json; odata.metadata=minimal"
XML = "application/xml"
ODATA_VERSION = {"OData-Version": "4.0"}
ERROR_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
ERROR_MESSAGES = {
    500: "An unexpected error occurred while processing the request.",
    503: "The service is temporarily unavailable. Please retry.",
    504: "The query took too long to execute and was cancelled.",
}


def media_path(listing_key: str, media_key: str) -> str:
    return f"{MEDIA_PREFIX}/Property/{listing_key}/{media_key}.jpg"


def odata_reply(status: int, body: bytes, content_type: str = ODATA_JSON) -> Reply:
    return Reply(status, body, content_type)


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"code": ERROR_CODES.get(status, str(status)), "message": message}}
    return Reply(status, orjson.dumps(body), ODATA_JSON, dict(headers or {}))
