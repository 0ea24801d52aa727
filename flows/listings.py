"""Prefect flows for the MLS listing ingest: thin wiring around ``wonder.listings.service``.

Retries live here, on the flow: the Trestle client already retries each request, so a flow retry
only helps after a longer outage; every service call is resumable, so a retry never duplicates.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows.artifacts import publish_report_artifact
from flows.edge import load_settings, page_logger, trestle_ingest
from wonder.listings import service


@flow(name="listings-first-load", retries=1, retry_delay_seconds=300)
def listings_first_load(trestle_secret_block: str | None = None) -> dict[str, Any]:
    """Replicate every listing (with media), agent and office; resumes after a crash."""
    logger = get_run_logger()
    settings = load_settings(trestle_secret_block)
    with trestle_ingest(settings) as (client, sessions):
        reports = service.first_load(
            client, sessions, settings.listings, progress=page_logger(logger)
        )
        summary = publish_report_artifact("listings-first-load", reports, client)
    logger.info("first load done: %s", summary)
    return summary


@flow(name="listings-incremental", retries=2, retry_delay_seconds=60)
def listings_incremental(trestle_secret_block: str | None = None) -> dict[str, Any]:
    """Apply what changed at the source since the cursors (listings, media, agents, offices)."""
    logger = get_run_logger()
    settings = load_settings(trestle_secret_block)
    with trestle_ingest(settings) as (client, sessions):
        reports = service.incremental_sync(
            client, sessions, settings.listings, progress=page_logger(logger)
        )
        summary = publish_report_artifact("listings-incremental", reports, client)
    logger.info("incremental sync done: %s", summary)
    return summary


@flow(name="listings-census", retries=1, retry_delay_seconds=600)
def listings_census(trestle_secret_block: str | None = None) -> dict[str, Any]:
    """Find listings deleted at the source by key census (mass deletes are held for approval)."""
    logger = get_run_logger()
    settings = load_settings(trestle_secret_block)
    with trestle_ingest(settings) as (client, sessions):
        report = service.census(client, sessions, settings.listings, progress=page_logger(logger))
        summary = publish_report_artifact("listings-census", [report], client)
    logger.info("census done: %s", summary)
    return summary
