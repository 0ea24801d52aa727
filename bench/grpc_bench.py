"""gRPC benchmarks: GetListing QPS and ListListings latency against an empty method on the same
server stack, and throughput with 1 vs 2 server processes.

Servers (``python -m bench.grpc_serve``: the production server with the reference method added)
and load generators (``python -m bench.load``) are separate processes on loopback. Each figure
and its reference are measured in alternating rounds (A B, then B A, ...) so drift on this
shared machine falls on both alike.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.load import BATCH_SIZE, LIST_FILTER, LIST_ORDER, LoadSpec
from bench.support import REPO_ROOT, ScratchDatabase, child_env, progress, started
from bench.table import Row, fmt_ms, fmt_rate, fmt_ratio, ratio
from devstack.processes import ManagedProcess, free_port, spawn, stop_tree


@dataclass(frozen=True)
class GrpcScale:
    round_seconds: float  # each measurement runs this long per round
    rounds: int
    warmup: float
    concurrency: int = 16
    channels: int = 2
    open_rate: float = 100.0


FULL_SCALE = GrpcScale(round_seconds=5.0, rounds=2, warmup=1.0)
QUICK_SCALE = GrpcScale(round_seconds=1.5, rounds=1, warmup=0.5)


@dataclass
class Measured:
    qps: float = 0.0
    calls: int = 0
    errors: int = 0
    first_error: str | None = None
    latencies: list[float] = field(default_factory=list)

    def merge(self, payload: Mapping[str, object]) -> None:
        self.calls += int(payload["calls"])  # type: ignore[call-overload]
        self.errors += int(payload["errors"])  # type: ignore[call-overload]
        self.first_error = self.first_error or payload.get("first_error")  # type: ignore[assignment]
        self.latencies.extend(payload["latencies"])  # type: ignore[arg-type]

    def percentile(self, q: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=1000, method="inclusive")[round(q * 1000) - 1]

    def note(self) -> str:
        return f" ({self.errors} errors: {self.first_error})" if self.errors else ""


# -- setup -----------------------------------------------------------------------------------


def issue_token(database: ScratchDatabase) -> str:
    from wonder.auth.store import create_token
    from wonder.db.engine import make_engine, session_factory
    from wonder.db.uow import unit_of_work

    engine = make_engine(database.url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            name = f"bench-{os.getpid()}-{time.time_ns()}"
            issued = create_token(session, name, "listings:read", datetime.now(UTC))
        return issued.token
    finally:
        engine.dispose()


def write_keys(database: ScratchDatabase, folder: Path) -> Path:
    with psycopg.connect(database.libpq_url) as connection:
        keys = [row[0] for row in connection.execute("SELECT listing_key FROM listings")]
    if not keys:
        raise RuntimeError("no listings to query: load or generate them first")
    path = folder / "keys.txt"
    path.write_text("\n".join(keys))
    return path


def health_serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=1.0
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def grpc_serving(port: int) -> Callable[[ManagedProcess], bool]:
    """A gRPC server on loopback ``port`` is up once it listens and its health is SERVING."""
    return lambda process: process.listens_on(port) and health_serving(f"127.0.0.1:{port}")


@contextlib.contextmanager
def grpc_server(database: ScratchDatabase, processes: int) -> Iterator[str]:
    port = free_port()
    env = child_env(
        WONDER_DATABASE_URL=database.url,
        WONDER_GRPC__HOST="127.0.0.1",
        WONDER_GRPC__PORT=str(port),
        WONDER_GRPC__PROCESSES=str(processes),
        WONDER_LOG_LEVEL="WARNING",
    )
    target = f"127.0.0.1:{port}"
    argv = [sys.executable, "-m", "bench.grpc_serve"]
    with started(f"gRPC server ({processes} process(es))", argv, env, grpc_serving(port)):
        if processes > 1:
            time.sleep(2.0)  # every worker binds the shared port: let the slowest catch up
        yield target


# -- load ------------------------------------------------------------------------------------


def run_load(spec: LoadSpec, clients: int, token: str) -> list[dict[str, object]]:
    """``clients`` load generator processes at once; their JSON results."""
    env = child_env(BENCH_TOKEN=token)
    argv = [sys.executable, "-m", "bench.load", json.dumps(dataclasses.asdict(spec))]
    out = subprocess.PIPE
    processes = [
        spawn(argv, env=env, cwd=REPO_ROOT, stdout=out, stderr=out, text=True)
        for _ in range(clients)
    ]
    timeout = spec.warmup + spec.duration + 120
    try:
        results = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=timeout)
            if process.returncode != 0:
                raise RuntimeError(f"load generator failed:\n{stderr[-3000:]}")
            results.append(json.loads(stdout))
        return results
    finally:
        for process in processes:  # after a failure, a timeout or Ctrl-C
            if process.poll() is None:
                stop_tree(process, grace=5.0)
            with process:  # closes its pipes
                pass


def interleaved(
    specs: Mapping[str, LoadSpec], scale: GrpcScale, token: str, clients: int = 1
) -> dict[str, Measured]:
    """Each spec for ``scale.rounds`` rounds, the order rotating every round."""
    measured = {name: Measured() for name in specs}
    names = list(specs)
    for round_index in range(scale.rounds):
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]
        if round_index % 2:
            order.reverse()
        for name in order:
            for payload in run_load(specs[name], clients, token):
                measured[name].merge(payload)
                measured[name].qps += float(payload["qps"]) / scale.rounds  # type: ignore[arg-type]
        progress(
            f"  round {round_index + 1}/{scale.rounds}: "
            + ", ".join(f"{n} {measured[n].calls:,} calls" for n in names)
        )
    return measured


def closed(scale: GrpcScale, target: str, method: str, keys: Path) -> LoadSpec:
    return LoadSpec(
        target=target,
        method=method,
        concurrency=scale.concurrency,
        channels=scale.channels,
        duration=scale.round_seconds,
        warmup=scale.warmup,
        keys_file=str(keys),
    )


def opened(scale: GrpcScale, target: str, method: str) -> LoadSpec:
    return LoadSpec(
        target=target,
        method=method,
        mode="open",
        channels=1,
        duration=scale.round_seconds,
        warmup=scale.warmup,
        rate=scale.open_rate,
    )


# -- benchmarks ------------------------------------------------------------------------------


def qps_rows(
    database: ScratchDatabase, target: str, scale: GrpcScale, token: str, keys: Path
) -> list[Row]:
    from bench.read_ceiling import bare_server  # read_ceiling imports this module

    progress(
        f"GetListing vs empty method, on this server and on the bare one: closed loop, "
        f"{scale.concurrency} callers, {scale.rounds} x {scale.round_seconds:.0f} s each"
    )
    methods = ("empty", "get", "get_basic")
    with bare_server(database) as bare:
        # The bare server (one database read per call, no interceptors) in the same rounds: the
        # ratio a design reading the database once per call reaches here and now.
        specs = {m: closed(scale, target, m, keys) for m in methods}
        specs |= {f"bare_{m}": closed(scale, bare, m, keys) for m in methods}
        result = interleaved(specs, scale, token)
    empty, bare_empty = result["empty"], result["bare_empty"]
    rows = []
    for method, label, goal in (
        ("get", "FULL view (default)", 0.6),
        ("get_basic", "BASIC view", 0.7),
    ):
        value = ratio(result[method].qps, empty.qps)
        ceiling = result[f"bare_{method}"]
        rows += [
            Row(
                f"GetListing QPS, {label}, {scale.concurrency} callers",
                fmt_rate(result[method].qps, "QPS") + result[method].note(),
                "empty " + fmt_rate(empty.qps, "QPS") + empty.note(),
                fmt_ratio(value),
                f"≥ {goal}",
                value >= goal and not result[method].errors,
            ),
            Row(
                f"  ceiling: bare grpc.aio server, same read, no interceptors, {label}",
                fmt_rate(ceiling.qps, "QPS")
                + f" (ours {fmt_ratio(ratio(result[method].qps, ceiling.qps))} of it)"
                + ceiling.note(),
                "its empty " + fmt_rate(bare_empty.qps, "QPS") + bare_empty.note(),
                fmt_ratio(ratio(ceiling.qps, bare_empty.qps)),
            ),
        ]
    return rows


def latency_rows(target: str, scale: GrpcScale, token: str) -> list[Row]:
    progress(
        f"ListListings vs empty method: open loop {scale.open_rate:.0f} QPS, "
        f"{scale.rounds} x {scale.round_seconds:.0f} s each"
    )
    specs = {m: opened(scale, target, m) for m in ("list", "empty")}
    # The same query from one caller at a time: its latency without queueing, and capacity.
    specs["list_serial"] = dataclasses.replace(
        opened(scale, target, "list"), mode="closed", concurrency=1
    )
    result = interleaved(specs, scale, token)
    listing, empty, serial = result["list"], result["empty"], result["list_serial"]
    p50, p99 = listing.percentile(0.5), listing.percentile(0.99)
    ref50, ref99 = empty.percentile(0.5), empty.percentile(0.99)
    label = f"ListListings page 50 at {scale.open_rate:.0f} QPS"
    return [
        Row(
            f"{label}: p50",
            fmt_ms(p50) + listing.note(),
            "empty " + fmt_ms(ref50),
            fmt_ratio(ratio(p50, ref50)),
        ),
        Row(
            f"{label}: p99",
            fmt_ms(p99) + listing.note(),
            "empty " + fmt_ms(ref99),
            fmt_ratio(ratio(p99, ref99)),
            "≤ 3",
            ratio(p99, ref99) <= 3 and not listing.errors,
        ),
        Row(
            "ListListings, 1 caller back to back: pages/s (p50 / p99)",
            f"{fmt_rate(serial.qps, 'pages/s')} ({fmt_ms(serial.percentile(0.5))} /"
            f" {fmt_ms(serial.percentile(0.99))})" + serial.note(),
            "—",
            "—",
            "≥ 400",
            serial.qps >= 400 and not serial.errors,
        ),
        Row(f"  filter: {LIST_FILTER}, order_by {LIST_ORDER}", f"{listing.calls:,} calls ok"),
    ]


def batch_rows(target: str, scale: GrpcScale, token: str, keys: Path) -> list[Row]:
    progress(f"BatchGetListings of {BATCH_SIZE} vs GetListing: listings/s, FULL view")
    specs = {m: closed(scale, target, m, keys) for m in ("batch", "get")}
    result = interleaved(specs, scale, token)
    batched = result["batch"].qps * BATCH_SIZE
    single = result["get"].qps
    value = ratio(batched, single)
    return [
        Row(
            f"BatchGetListings of {BATCH_SIZE}, {scale.concurrency} callers: listings/s",
            fmt_rate(batched, "listings/s") + result["batch"].note(),
            "GetListing " + fmt_rate(single, "listings/s"),
            fmt_ratio(value),
            "≥ 10",
            value >= 10 and not result["batch"].errors,
        )
    ]


DEEP_PAGE = 1000
NULL_PRICE_SHARE = 20  # one listing in 20 has no list_price


def null_some_prices(database: ScratchDatabase) -> None:
    from bench.seed import store_messages

    with psycopg.connect(database.libpq_url) as connection:
        connection.execute(
            "UPDATE listings SET list_price = NULL"
            f" WHERE abs(hashtext(listing_key)) % {NULL_PRICE_SHARE} = 0"
        )
        connection.commit()
    # The UPDATE left those rows' stored messages stale (migration 0008's trigger dropped them):
    # render them again, as the ingest would have written them.
    store_messages(database)
    with psycopg.connect(database.libpq_url, autocommit=True) as connection:
        connection.execute("ANALYZE listings")


def deep_page_token(target: str, token: str, page: int) -> str:
    """The token of page ``page`` of every listing ordered by list_price (walked to it)."""
    from wonder.v1 import listing_service_pb2, listing_service_pb2_grpc

    metadata = (("authorization", f"Bearer {token}"),)
    page_token = ""
    with grpc.insecure_channel(target) as channel:
        stub = listing_service_pb2_grpc.ListingServiceStub(channel)
        for _ in range(page - 1):
            reply = stub.ListListings(
                listing_service_pb2.ListListingsRequest(
                    page_size=50, order_by=LIST_ORDER, page_token=page_token
                ),
                metadata=metadata,
                timeout=30,
            )
            page_token = reply.next_page_token
    return page_token


def deep_page_rows(target: str, scale: GrpcScale, token: str, keys: Path) -> list[Row]:
    listings = len(keys.read_text().split())
    page = max(2, min(DEEP_PAGE, listings // 50 - 2))  # a smaller run has fewer pages
    progress(f"ListListings by nullable list_price: page {page:,} vs page 1, 1 caller")
    deep = deep_page_token(target, token, page)
    first = dataclasses.replace(
        opened(scale, target, "list_by_price"), mode="closed", concurrency=1
    )
    specs = {"page 1": first, "deep": dataclasses.replace(first, page_token=deep)}
    result = interleaved(specs, scale, token)
    one, far = result["page 1"], result["deep"]
    value = ratio(far.qps, one.qps)
    return [
        Row(
            f"ListListings order_by list_price (1 in {NULL_PRICE_SHARE} NULL), page "
            f"{page:,}, 1 caller: pages/s",
            fmt_rate(far.qps, "pages/s") + far.note(),
            "page 1 " + fmt_rate(one.qps, "pages/s") + one.note(),
            fmt_ratio(value),
            "≈ 1 (seeks)",
            value >= 0.8 and not far.errors,
        )
    ]


def _replay_rate(target: str, token: str, wanted: int) -> tuple[float, int]:
    """One stream from cursor 0, BASIC view, read until ``wanted`` changes: (changes/s, seen)."""
    from wonder.v1 import listing_pb2, listing_service_pb2, listing_service_pb2_grpc

    metadata = (("authorization", f"Bearer {token}"),)
    request = listing_service_pb2.StreamListingChangesRequest(
        start_cursor=0, view=listing_pb2.LISTING_VIEW_BASIC
    )
    with grpc.insecure_channel(target) as channel:
        stub = listing_service_pb2_grpc.ListingServiceStub(channel)
        stream = stub.StreamListingChanges(request, metadata=metadata, timeout=300)
        started = time.perf_counter()
        seen = 0
        for _change in stream:
            seen += 1
            if seen >= wanted:
                break
        seconds = time.perf_counter() - started
        stream.cancel()
    return (seen / seconds if seconds else 0.0), seen


def stream_rows(database: ScratchDatabase, target: str, token: str, scale: GrpcScale) -> list[Row]:
    from bench.abuse import fill_change_feed  # abuse imports this module
    from bench.stream_ceiling import MESSAGES, ceiling_rate

    total = fill_change_feed(database)
    wanted = min(total, MESSAGES)
    with psycopg.connect(database.libpq_url) as connection:
        row = connection.execute(
            "SELECT api_basic FROM listings WHERE api_basic IS NOT NULL"
            " ORDER BY listing_key LIMIT 1"
        ).fetchone()
    stored = bytes(row[0]) if row else None
    replays: list[float] = []
    ceilings: list[float] = []
    seen = 0
    for round_ in range(scale.rounds):
        # A B, then B A: the bare ceiling (one prebuilt change per awaited write, no database,
        # no interceptors) is the most any stream can replay on this machine this minute.
        for part in ("ceiling", "replay") if round_ % 2 == 0 else ("replay", "ceiling"):
            if part == "ceiling":
                figure = ceiling_rate(stored)
                ceilings.append(figure)
            else:
                figure, seen = _replay_rate(target, token, wanted)
                replays.append(figure)
            progress(f"StreamListingChanges round {round_ + 1}: {part} {figure:,.0f}/s")
    rate, ceiling = statistics.mean(replays), statistics.mean(ceilings)
    return [
        Row(
            f"StreamListingChanges backlog replay, 1 stream, BASIC: changes/s ({seen:,} changes)",
            fmt_rate(rate, "changes/s"),
            "bare grpc.aio stream " + fmt_rate(ceiling, "messages/s"),
            fmt_ratio(ratio(rate, ceiling)),
            "≥ 20,000/s",
            rate >= 20_000 and seen == wanted,
        )
    ]


def scaling_rows(single: str, double: str, scale: GrpcScale, token: str, keys: Path) -> list[Row]:
    clients = 2
    progress(
        f"GetListing on 1 vs 2 server processes: {clients} load processes x "
        f"{scale.concurrency} callers, {scale.rounds} x {scale.round_seconds:.0f} s each"
    )
    specs = {"1 process": closed(scale, single, "get", keys)}
    specs["2 processes"] = closed(scale, double, "get", keys)
    result = interleaved(specs, scale, token, clients=clients)
    one, two = result["1 process"], result["2 processes"]
    return [
        Row(
            f"GetListing QPS, 2 server processes (SO_REUSEPORT), "
            f"{clients}x{scale.concurrency} callers",
            fmt_rate(two.qps, "QPS") + two.note(),
            "1 process " + fmt_rate(one.qps, "QPS") + one.note(),
            fmt_ratio(ratio(two.qps, one.qps)),
            "≥ 1.7",
            ratio(two.qps, one.qps) >= 1.7 and not two.errors,
        )
    ]


PARTS = ("get", "list", "batch", "deep", "stream", "scaling")


def run(database: ScratchDatabase, scale: GrpcScale, parts: Sequence[str] = PARTS) -> list[Row]:
    token = issue_token(database)
    null_some_prices(database)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="wonder-bench-") as folder:
        keys = write_keys(database, Path(folder))
        progress("starting gRPC servers: 1 process" + (" and 2 processes" * ("scaling" in parts)))
        with contextlib.ExitStack() as stack:
            single = stack.enter_context(grpc_server(database, 1))
            if "get" in parts:
                rows += qps_rows(database, single, scale, token, keys)
            if "list" in parts:
                rows += latency_rows(single, scale, token)
            if "batch" in parts:
                rows += batch_rows(single, scale, token, keys)
            if "deep" in parts:
                rows += deep_page_rows(single, scale, token, keys)
            if "stream" in parts:
                rows += stream_rows(database, single, token, scale)
            if "scaling" in parts:
                double = stack.enter_context(grpc_server(database, 2))
                rows += scaling_rows(single, double, scale, token, keys)
    return rows


def standalone(listings: int, scale: GrpcScale, parts: Sequence[str] = PARTS) -> list[Row]:
    from bench.seed import generate_listings
    from bench.support import scratch_database

    with scratch_database() as database:
        progress(f"generating {listings:,} listings in PostgreSQL")
        generate_listings(database, listings)
        return run(database, scale, parts)
