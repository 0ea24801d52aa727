"""The receiver: ``POST /webhooks/{source}`` → read the body (bounded) → the source verifies it →
stored in the inbox (committed) → 2xx → the sink announces it (after the answer, advisory).

Answers: 200 stored (or a duplicate of a stored event: duplicates are normal), 400 malformed,
401 not authentic (forged, stale, bad token), 404 unknown path or source, 405 not POST, 413 a
body over the limit, 503 the inbox could not store it (the sender retries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wonder.db.uow import cancel_safe_session
from wonder.webhooks.inbox import store
from wonder.webhooks.ports import EventSink, Rejected, WebhookSource

log = logging.getLogger("wonder.webhooks")


class _TooLarge(Exception):
    pass


async def read_bounded(request: Request, limit: int) -> bytes:
    """The body, refused (``_TooLarge``) as soon as it passes ``limit`` bytes: never buffered
    beyond the limit, whatever Content-Length claims."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _TooLarge
        except ValueError:
            raise Rejected(400, "bad Content-Length") from None
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _announce(sink: EventSink, source: str, entity_key: str, inbox_id: int) -> None:
    try:
        sink.emit(source, entity_key, inbox_id)
    except Exception:  # advisory: the event is committed, the drain catches up
        log.warning("could not announce inbox event %d (%s)", inbox_id, source, exc_info=True)


def create_app(
    *,
    sources: Sequence[WebhookSource],
    sessions: async_sessionmaker[AsyncSession],
    sink: EventSink,
    max_body_bytes: int,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Starlette:
    by_name: Mapping[str, WebhookSource] = {source.name: source for source in sources}

    async def receive(request: Request) -> Response:
        source = by_name.get(request.path_params["source"])
        if source is None:
            return JSONResponse({"error": "unknown webhook source"}, status_code=404)
        try:
            body = await read_bounded(request, max_body_bytes)
            event = await source.verify(request.headers, body)
        except _TooLarge:
            log.info("webhook %s refused: body over %d bytes", source.name, max_body_bytes)
            return JSONResponse({"error": "body too large"}, status_code=413)
        except Rejected as rejected:
            log.info("webhook %s refused (%d): %s", source.name, rejected.status, rejected.reason)
            return JSONResponse({"error": rejected.reason}, status_code=rejected.status)
        try:
            async with cancel_safe_session(sessions) as session:
                inbox_id = await store(session, event, clock())
        except SQLAlchemyError as error:
            log.error("webhook %s not stored: %s", source.name, type(error).__name__)
            return JSONResponse({"error": "inbox unavailable"}, status_code=503)
        if inbox_id is None:
            return JSONResponse({"stored": False, "duplicate": True})
        task = BackgroundTask(_announce, sink, event.source, event.entity_key, inbox_id)
        return JSONResponse({"stored": True, "id": inbox_id}, background=task)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "sources": sorted(by_name)})

    return Starlette(
        routes=[
            Route("/webhooks/{source}", receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )
