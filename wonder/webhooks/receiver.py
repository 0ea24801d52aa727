"""The receiver built from settings: the configured sources, the async inbox, the sink."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from wonder.db.engine import async_session_factory, make_async_engine
from wonder.settings import Settings, WebhookSettings
from wonder.webhooks.app import create_app
from wonder.webhooks.buildium import BuildiumSource
from wonder.webhooks.gmail import CachingCertsRequest, GmailPushSource
from wonder.webhooks.ports import EventSink, WebhookSource
from wonder.webhooks.registry import event_sink


def configured_sources(settings: WebhookSettings) -> list[WebhookSource]:
    """Buildium once a secret is set; Gmail once its audience and service account are."""
    sources: list[WebhookSource] = []
    secrets = [
        s.get_secret_value()
        for s in (settings.buildium_secret, settings.buildium_secret_previous)
        if s is not None
    ]
    if secrets:
        sources.append(
            BuildiumSource(secrets, allowed_skew_seconds=settings.allowed_clock_skew_seconds)
        )
    if settings.gmail_audience and settings.gmail_push_service_account:
        sources.append(
            GmailPushSource(
                audience=settings.gmail_audience,
                service_account_email=settings.gmail_push_service_account,
                certs_url=settings.gmail_certs_url,
                allowed_skew_seconds=settings.allowed_clock_skew_seconds,
                request=CachingCertsRequest(settings.certs_cache_seconds),
            )
        )
    return sources


def build_receiver(
    settings: Settings, *, sink: EventSink | None = None
) -> tuple[Starlette, AsyncEngine, list[WebhookSource]]:
    """The app, its engine (dispose it when done) and its sources."""
    engine = make_async_engine(
        settings.database_url,
        pool_size=settings.webhooks.database_pool_size,
        max_overflow=settings.webhooks.database_pool_size,
    )
    sources = configured_sources(settings.webhooks)
    app = create_app(
        sources=sources,
        sessions=async_session_factory(engine),
        sink=sink if sink is not None else event_sink(settings),
        max_body_bytes=settings.webhooks.max_body_bytes,
    )
    return app, engine, sources
