"""The listing ingest service (work in progress: signatures are final)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from wonder.listings.report import CensusReport, IngestReport, ProgressEvent
from wonder.settings import ListingIngestSettings

Progress = Callable[[ProgressEvent], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PageLike(Protocol):
    @property
    def records(self) -> list[dict[str, Any]]: ...

    @property
    def next_link(self) -> str | None: ...


class ODataSource(Protocol):
    def pages(
        self,
        resource: str,
        *,
        select: Sequence[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | None = None,
        count: bool = False,
        replication: bool = False,
        follow_next_links: bool = True,
    ) -> Iterator[PageLike]: ...

    def resume(self, next_link: str) -> Iterator[PageLike]: ...

    @property
    def requests_made(self) -> int: ...

    @property
    def quota(self) -> Any: ...


def first_load(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> list[IngestReport]:
    raise NotImplementedError


def incremental_sync(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> list[IngestReport]:
    raise NotImplementedError


def census(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> CensusReport:
    raise NotImplementedError


def approve_held_delete(
    sessions: sessionmaker[Session], held_id: int, *, clock: Callable[[], datetime] = utc_now
) -> int:
    raise NotImplementedError


def reject_held_delete(
    sessions: sessionmaker[Session], held_id: int, *, clock: Callable[[], datetime] = utc_now
) -> int:
    raise NotImplementedError
