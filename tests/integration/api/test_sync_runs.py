"""Sync runs: the mirror and the reconciliation record one run per resource in the transaction
of their last page (a crash before it records none), and ListSyncRuns serves them over gRPC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import grpc.aio
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.buildium_mirror_fixtures import AS_OF, FakeBuildium
from tests.integration.api.conftest import field_violations, seed
from tests.integration.api.sync_support import SyncApi, sync_api
from wonder.db.enums import SyncRunStatus
from wonder.db.models import SyncRun
from wonder.settings import BuildiumSyncSettings
from wonder.sync.mirror_service import sync
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import MirrorStore, MirrorUnits, Resource
from wonder.sync.reconcile_service import reconcile_balances
from wonder.v1 import sync_pb2
from wonder.v1 import sync_service_pb2 as pb

__all__ = ["sync_api"]

SETTINGS = BuildiumSyncSettings(page_size=2, overlap_seconds=300, mass_delete_min_rows=1)
T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def runs(sessions: sessionmaker[Session]) -> list[SyncRun]:
    with sessions() as s:
        return list(s.scalars(select(SyncRun).order_by(SyncRun.id)))


def test_a_sync_records_one_run_per_resource_with_its_counts(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    report = sync(fake, sql_units(sessions), SETTINGS, clock=lambda: fake.clock)
    reconcile_balances(fake, sessions, as_of=AS_OF, clock=lambda: fake.clock)
    recorded = runs(sessions)
    assert [(r.pipeline, r.resource) for r in recorded] == [
        ("buildium:mirror", "buildium:gl_accounts"),
        *(("buildium:mirror", f"buildium:{r}") for r in (
            "rentals", "units", "owners", "tenants", "leases")),
        ("buildium:mirror", "buildium:lease_transactions"),
        ("buildium:reconcile", "buildium:outstanding_balances"),
    ]  # fmt: skip
    assert {r.status for r in recorded} == {SyncRunStatus.SUCCEEDED}
    for run in recorded[1:6]:
        stats = report.resources[run.resource.split(":")[1]]
        assert run.counts == {
            "pages": stats.pages, "fetched": stats.fetched, "written": stats.written,
            "unchanged": stats.unchanged, "quarantined": stats.quarantined,
        }  # fmt: skip
    leases = fake.records[Resource.LEASES]
    assert recorded[5].counts["fetched"] == len(leases)
    assert recorded[6].counts["ledgers"] == len(leases)
    assert recorded[-1].counts["mismatches"] == 0


class Killed(BaseException):
    """The process died here."""


def killing_after(inner: MirrorUnits, writes: int) -> MirrorUnits:
    """Units of work that die at the end of the ``writes``-th one, before it commits."""
    seen = 0

    @contextmanager
    def unit() -> Iterator[MirrorStore]:
        nonlocal seen
        with inner() as store:
            yield store
            seen += 1
            if seen == writes:
                raise Killed

    return unit


def test_a_run_is_recorded_only_when_its_last_page_commits(
    sessions: sessionmaker[Session],
) -> None:
    fake = FakeBuildium.seeded()
    # Units: 1 GL accounts; rentals: 2 (the cursor read, then one page of two: the last).
    with pytest.raises(Killed):
        sync(fake, killing_after(sql_units(sessions), 3), SETTINGS, clock=lambda: fake.clock)
    assert [r.resource for r in runs(sessions)] == ["buildium:gl_accounts"]


def make_run(run_id: int, resource: str, minutes: int, status: SyncRunStatus, **extra: Any) -> Any:
    return SyncRun(
        id=run_id, pipeline="buildium:mirror", resource=resource,
        started_at=T0 + timedelta(minutes=minutes - 1), finished_at=T0 + timedelta(minutes=minutes),
        status=status, counts={"fetched": run_id}, error=extra.get("error"),
    )  # fmt: skip


SEEDED = [
    (1, "buildium:leases", 0, SyncRunStatus.SUCCEEDED),
    (2, "buildium:units", 5, SyncRunStatus.FAILED),
    (3, "buildium:leases", 5, SyncRunStatus.SUCCEEDED),  # ties run 2 on finish_time
    (4, "buildium:leases", 10, SyncRunStatus.SUCCEEDED),
]


async def list_all(api: SyncApi, **request: Any) -> list[int]:
    ids: list[int] = []
    token = ""
    while True:
        page = await api.call(
            "ListSyncRuns", pb.ListSyncRunsRequest(page_size=1, page_token=token, **request)
        )
        ids.extend(int(run.name.split("/")[1]) for run in page.sync_runs)
        token = page.next_page_token
        if not token:
            return ids


async def test_list_sync_runs_filters_orders_and_pages(sync_api: SyncApi) -> None:
    seed(sync_api.sessions, *(make_run(*row, error="boom" if row[0] == 2 else None)
                              for row in SEEDED))  # fmt: skip
    # Default: newest first, ties by id ascending.
    assert await list_all(sync_api) == [4, 2, 3, 1]
    assert await list_all(sync_api, order_by="start_time") == [1, 2, 3, 4]
    assert await list_all(sync_api, filter='resource = "buildium:leases"') == [4, 3, 1]
    assert await list_all(sync_api, filter="status = failed") == [2]
    assert await list_all(sync_api, filter='pipeline = "buildium:reconcile"') == []
    assert await list_all(
        sync_api, filter='finish_time >= "2026-06-15T12:05:00Z"', order_by="run_id"
    ) == [2, 3, 4]
    assert await list_all(sync_api, filter='start_time < "2026-06-15T12:04:00Z"') == [1]
    page = await sync_api.call("ListSyncRuns", pb.ListSyncRunsRequest(filter="status = failed"))
    [failed] = page.sync_runs
    assert failed.status == sync_pb2.SyncRun.STATUS_FAILED
    assert (failed.error, dict(failed.counts)) == ("boom", {"fetched": 2})
    for request in (
        pb.ListSyncRunsRequest(filter="status = crashed"),
        pb.ListSyncRunsRequest(order_by="pipeline"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await sync_api.call("ListSyncRuns", request)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field_violations(bad.value)
