"""What an ingest run did: plain dataclasses the CLI prints and the flows turn into artifacts."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from wonder.clients.trestle.pacing import QuotaSnapshot
from wonder.ingest.report import Headline


@dataclass
class IngestReport:
    """Counts of one resource walked in one mode (first_load | incremental)."""

    resource: str
    mode: str
    pages: int = 0
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    media_refreshed: int = 0
    media_refetch_pending: int = 0
    history_rows: int = 0
    requests: int = 0
    # The client's last quota headers.
    quota: QuotaSnapshot | None = None
    held_delete_id: int | None = None
    duration_seconds: float = 0.0

    def as_rows(self) -> list[dict[str, Any]]:
        return _rows(self)

    def headline(self) -> Headline:
        notes = [f"{self.unchanged} unchanged"] if self.unchanged else []
        if self.history_rows:
            notes.append(f"{self.history_rows} price/status history rows")
        if self.media_refreshed:
            notes.append(f"media of {self.media_refreshed} listings replaced")
        if self.media_refetch_pending:
            notes.append(f"media of {self.media_refetch_pending} listings to re-read")
        return Headline(
            read=self.fetched,
            written=self.inserted + self.updated,
            deleted=self.deleted,
            note=", ".join(notes),
        )

    def absorb(self, media: MediaRefreshReport) -> None:
        """Count a media refresh of this resource's listings in this report (the CLI's view)."""
        self.media_refreshed += media.refreshed
        self.media_refetch_pending += media.refetch_pending
        self.quarantined += media.quarantined
        self.requests += media.requests
        self.duration_seconds += media.duration_seconds
        self.quota = media.quota or self.quota

    def summary(self) -> str:
        return (
            f"{self.resource} {self.mode}: {self.pages} pages, {self.fetched} fetched, "
            f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {self.quarantined} quarantined, "
            f"{self.media_refreshed} media refreshed ({self.media_refetch_pending} pending), "
            f"{self.history_rows} history rows, {self.requests} requests "
            f"in {self.duration_seconds:.2f}s"
        )


@dataclass
class MediaRefreshReport:
    """Listings whose PhotosChangeTimestamp moved past their media: media re-read and replaced."""

    resource: str
    mode: str
    # Listings found pending, media records read, listings whose media were replaced, and those
    # the source announced photos for but sent none (asked again next run).
    pending: int = 0
    fetched: int = 0
    refreshed: int = 0
    refetch_pending: int = 0
    quarantined: int = 0
    requests: int = 0
    quota: QuotaSnapshot | None = None
    duration_seconds: float = 0.0

    def as_rows(self) -> list[dict[str, Any]]:
        return _rows(self)

    def headline(self) -> Headline:
        note = f"{self.pending} listings pending"
        if self.refetch_pending:
            note += f", media of {self.refetch_pending} to re-read next run"
        return Headline(read=self.fetched, written=self.refreshed, deleted=0, note=note)

    def summary(self) -> str:
        return (
            f"{self.resource} media refresh ({self.mode}): {self.pending} listings pending, "
            f"{self.fetched} media read, media of {self.refreshed} listings replaced "
            f"({self.refetch_pending} to re-read), {self.quarantined} quarantined, "
            f"{self.requests} requests in {self.duration_seconds:.2f}s"
        )


@dataclass
class CensusReport:
    """A key census: what the source holds against what we store, and what was deleted or held."""

    resource: str
    pages: int = 0
    source_keys: int = 0
    stored_keys: int = 0
    missing: int = 0
    deleted: int = 0
    held: bool = False
    held_delete_id: int | None = None
    requests: int = 0
    quota: QuotaSnapshot | None = None
    duration_seconds: float = 0.0

    def as_rows(self) -> list[dict[str, Any]]:
        return _rows(self)

    def headline(self) -> Headline:
        note = f"{self.source_keys} keys at the source, {self.stored_keys} stored"
        if self.held:
            note += (
                f"; {self.missing} missing: held for approval as #{self.held_delete_id}"
                f" (wonder listings deletes approve|reject {self.held_delete_id})"
            )
        return Headline(read=self.source_keys, written=0, deleted=self.deleted, note=note)

    def summary(self) -> str:
        outcome = (
            f"held for approval as #{self.held_delete_id}"
            if self.held
            else f"{self.deleted} deleted"
        )
        return (
            f"{self.resource} census: {self.source_keys} at the source, {self.stored_keys} stored, "
            f"{self.missing} missing → {outcome}; {self.requests} requests "
            f"in {self.duration_seconds:.2f}s"
        )


@dataclass(frozen=True)
class ProgressEvent:
    """Sent after every committed page so long runs can report where they stand.

    ``expected``: the records this walk should read in all, when the source said (else None).
    """

    resource: str
    mode: str
    pages: int
    records: int
    cursor: str | None
    expected: int | None = None


def progress_logger(
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> Callable[[ProgressEvent], None]:
    """A ``progress`` callback for the ingest service: one log line per committed page."""

    def log_progress(event: ProgressEvent) -> None:
        logger.info(
            "%s %s: page %d committed, %d records so far (cursor %s)",
            event.resource,
            event.mode,
            event.pages,
            event.records,
            event.cursor,
        )

    return log_progress


class _Metered(Protocol):
    @property
    def requests_made(self) -> int: ...

    @property
    def quota(self) -> QuotaSnapshot | None: ...


_Report = TypeVar("_Report", IngestReport, MediaRefreshReport, CensusReport)


@contextmanager
def measured(report: _Report, source: _Metered) -> Iterator[_Report]:
    """Add the block's requests and duration to ``report``, and the source's last quota."""
    started, requests_before = time.monotonic(), source.requests_made
    try:
        yield report
    finally:
        report.requests += source.requests_made - requests_before
        report.quota = source.quota
        report.duration_seconds += time.monotonic() - started


def _rows(report: object) -> list[dict[str, Any]]:
    """``metric``/``value`` rows of the scalar fields (the quota flattened into its windows)."""
    rows: list[dict[str, Any]] = []
    for field in dataclasses.fields(report):  # type: ignore[arg-type]
        value = getattr(report, field.name)
        if field.name == "quota":
            rows.extend(_quota_rows(value))
        elif isinstance(value, float):
            rows.append({"metric": field.name, "value": round(value, 3)})
        else:
            rows.append({"metric": field.name, "value": value})
    return rows


def _quota_rows(quota: QuotaSnapshot | None) -> list[dict[str, Any]]:
    if quota is None:
        return []
    rows: list[dict[str, Any]] = []
    for name in ("minute_limit", "minute_available", "hour_limit", "hour_available"):
        rows.append({"metric": f"quota_{name}", "value": getattr(quota, name)})
    if isinstance(quota.hour_reset_at, datetime):
        rows.append({"metric": "quota_hour_reset_at", "value": quota.hour_reset_at.isoformat()})
    return rows
