"""Prometheus metrics of one server, in its own registry, and the optional HTTP exporter.

With several worker processes each has its own registry and exporter on a free port, and the
pool's parent serves them all on ``metrics_port`` (grpc_server.pool_metrics).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class ServerMetrics:
    registry: CollectorRegistry
    handled: Counter
    latency: Histogram
    in_flight: Gauge

    @classmethod
    def create(cls) -> ServerMetrics:
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            handled=Counter(
                "wonder_grpc_server_handled",
                "RPCs completed, by method and status code.",
                ["grpc_method", "grpc_code"],
                registry=registry,
            ),
            latency=Histogram(
                "wonder_grpc_server_handling_seconds",
                "Time from the start of an RPC to its status, by method.",
                ["grpc_method"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            in_flight=Gauge(
                "wonder_grpc_server_in_flight",
                "RPCs currently being handled, by method.",
                ["grpc_method"],
                registry=registry,
            ),
        )


class ReadPoolCollector:
    """The read pool's state (``wonder.db.read_pool``), read from its statistics at each scrape."""

    def __init__(self, stats: Callable[[], Mapping[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        connections = GaugeMetricFamily(
            "wonder_db_read_pool_connections",
            "Read-pool connections: open, idle (free to take), and the most it opens.",
            labels=["state"],
        )
        for state, key in (("open", "pool_size"), ("idle", "pool_available"), ("max", "pool_max")):
            connections.add_metric([state], stats.get(key, 0))
        yield connections
        yield GaugeMetricFamily(
            "wonder_db_read_pool_waiting",
            "Reads waiting for a free read-pool connection now.",
            value=stats.get("requests_waiting", 0),
        )
        yield CounterMetricFamily(
            "wonder_db_read_pool_timeouts",
            "Reads that found no free connection within their deadline (answered UNAVAILABLE).",
            value=stats.get("requests_errors", 0),
        )
        yield CounterMetricFamily(
            "wonder_db_read_pool_connections_lost",
            "Idle connections found dropped by the database and replaced.",
            value=stats.get("connections_lost", 0),
        )


class MetricsExporter:
    """The ``/metrics`` HTTP endpoint of one registry, served from a background thread."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        server, thread = start_http_server(port, addr=host, registry=registry)
        self._server: WSGIServer = server
        self._thread: threading.Thread = thread
        self.port: int = server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
