"""Prefect flows for the MLS listing ingest: thin wiring around ``wonder.listings.service``.

The listing ingest holds one slot (``settings.listings.concurrency_limit_name``): a first load,
an incremental run and a census never write the listing tables at once. Retries live here, on
the flow: the Trestle client already retries each request, so a flow retry only helps after a
longer outage; every service call is resumable, so a retry never duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from prefect import flow, get_run_logger

from flows.artifacts import publish_report_artifact
from flows.edge import database, exclusive, load_settings
from wonder.clients.trestle import TrestleClient
from wonder.listings import service
from wonder.listings.report import CensusReport, IngestReport, progress_logger


def _run_ingest(
    name: str,
    done: str,
    call: Callable[..., Sequence[IngestReport] | CensusReport],
    trestle_secret_block: str | None,
) -> dict[str, Any]:
    """Settings → the ingest slot → ``call(client, sessions, settings, progress=)`` → artifact.

    ``call`` is one of the service's entry points; ``name`` keys the ``<name>-report`` artifact.
    """
    logger = get_run_logger()
    settings = load_settings({"trestle.client_secret": trestle_secret_block})
    with (
        exclusive(settings.listings.concurrency_limit_name),
        database(settings) as sessions,
        TrestleClient(settings.trestle) as client,
    ):
        result = call(client, sessions, settings.listings, progress=progress_logger(logger))
        reports = [result] if isinstance(result, CensusReport) else result
        summary = publish_report_artifact(name, reports, client, source="Trestle")
    logger.info("%s done: %s", done, summary)
    return summary


@flow(name="listings-first-load", retries=1, retry_delay_seconds=300)
def listings_first_load(trestle_secret_block: str | None = None) -> dict[str, Any]:
    """Replicate every listing (with media), agent and office; resumes after a crash."""
    return _run_ingest(
        "listings-first-load", "first load", service.first_load, trestle_secret_block
    )


@flow(name="listings-incremental", retries=2, retry_delay_seconds=60)
def listings_incremental(trestle_secret_block: str | None = None) -> dict[str, Any]:
    """Apply what changed at the source since the cursors (listings, media, agents, offices)."""
    return _run_ingest(
        "listings-incremental", "incremental sync", service.incremental, trestle_secret_block
    )


@flow(name="listings-census", retries=1, retry_delay_seconds=600)
def listings_census(trestle_secret_block: str | None = None) -> dict[str, Any]:
    """Find listings deleted at the source by key census (mass deletes are held for approval)."""
    return _run_ingest("listings-census", "census", service.census, trestle_secret_block)
