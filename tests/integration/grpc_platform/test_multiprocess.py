"""Two worker processes on one port (SO_REUSEPORT): both answer, both stop on SIGTERM."""

from __future__ import annotations

import asyncio

import grpc.aio
import pytest
from sqlalchemy import Engine

from grpc_server.main import WorkerPool
from tests.integration.grpc_platform.conftest import platform_settings
from tests.integration.grpc_platform.probe_service import (
    bearer,
    probe_worker,
    unary,
)
from wonder.auth.store import create_token
from wonder.db.engine import session_factory
from wonder.db.uow import unit_of_work

MAX_CONNECTIONS = 200


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Process handling does not depend on the dialect: SQLite only."""
    return sqlite_engine


async def test_two_workers_share_one_port_and_both_answer(engine: Engine) -> None:
    from datetime import UTC, datetime

    with unit_of_work(session_factory(engine)) as session:
        token = create_token(session, "reporting", "listings:read", datetime.now(UTC)).token
    settings = platform_settings(engine.url.render_as_string(hide_password=False), processes=2)
    pool = WorkerPool(settings, worker=probe_worker)
    port = pool.start()
    try:
        pids: set[bytes] = set()
        async with asyncio.timeout(60):
            for _ in range(MAX_CONNECTIONS):
                # A channel with its own subchannel pool opens a new TCP connection, which the
                # kernel hands to one of the listening workers.
                async with grpc.aio.insecure_channel(
                    f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
                ) as channel:
                    reply = await unary(channel, "Whoami")(
                        b"", metadata=bearer(token), timeout=30, wait_for_ready=True
                    )
                pids.add(reply.split()[1])
                if len(pids) == 2:
                    break
        assert len(pids) == 2
    finally:
        exit_code = await asyncio.to_thread(pool.stop)
    assert exit_code == 0


async def whoami_pid(port: int, token: str) -> int:
    async with grpc.aio.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
    ) as channel:
        reply = await unary(channel, "Whoami")(
            b"", metadata=bearer(token), timeout=30, wait_for_ready=True
        )
    return int(reply.split()[1])


async def test_a_killed_worker_is_restarted_and_the_pool_keeps_serving(engine: Engine) -> None:
    import os
    import signal
    from datetime import UTC, datetime

    with unit_of_work(session_factory(engine)) as session:
        token = create_token(session, "reporting", "listings:read", datetime.now(UTC)).token
    settings = platform_settings(engine.url.render_as_string(hide_password=False), processes=2)
    pool = WorkerPool(settings, worker=probe_worker)
    port = pool.start()
    try:
        victim = await whoami_pid(port, token)
        assert victim in pool.pids
        os.kill(victim, signal.SIGKILL)
        async with asyncio.timeout(30):
            while pool.restarted == 0:
                assert await asyncio.to_thread(pool.watch, 0.5), "the pool gave up"
        assert pool.restarted == 1
        assert victim not in pool.pids
        assert all(pool.pids)
        answered: set[int] = set()
        async with asyncio.timeout(60):
            while answered != set(pool.pids):
                answered.add(await whoami_pid(port, token))
    finally:
        exit_code = await asyncio.to_thread(pool.stop)
    assert exit_code == 0


def handled_by_worker(text: str) -> dict[str, float]:
    """Whoami calls counted per worker in the pool's one /metrics page."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "wonder_grpc_server_handled_total" and sample.labels[
                "grpc_method"
            ].endswith("/Whoami"):
                worker = sample.labels["worker"]
                counts[worker] = counts.get(worker, 0.0) + sample.value
    return counts


async def test_the_pool_has_one_metrics_endpoint_with_every_worker(engine: Engine) -> None:
    import urllib.request
    from datetime import UTC, datetime

    with unit_of_work(session_factory(engine)) as session:
        token = create_token(session, "reporting", "listings:read", datetime.now(UTC)).token
    settings = platform_settings(
        engine.url.render_as_string(hide_password=False), processes=2, metrics_port=0
    )
    pool = WorkerPool(settings, worker=probe_worker)
    port = pool.start()
    try:
        assert pool.metrics is not None
        calls: dict[int, int] = {}
        async with asyncio.timeout(60):
            while len(calls) < 2:
                pid = await whoami_pid(port, token)
                calls[pid] = calls.get(pid, 0) + 1
        url = f"http://127.0.0.1:{pool.metrics.port}/metrics"
        text = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
        counts = handled_by_worker(text.decode())
        # Both workers' samples, each labelled, and every call the test made counted once.
        assert set(counts) == {"0", "1"}
        assert sorted(counts.values()) == sorted(float(n) for n in calls.values())
    finally:
        exit_code = await asyncio.to_thread(pool.stop)
    assert exit_code == 0
