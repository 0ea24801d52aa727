"""One ``/metrics`` endpoint for a ``--processes N`` pool, served by the parent process.

Each worker keeps its own registry and exporter on a port of its own; the parent's endpoint
scrapes them at collection time and re-exports every sample with a ``worker`` label, so
Prometheus scrapes one address whatever the pool size. A worker that does not answer (it is
restarting) is left out of that scrape.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from grpc_server.metrics import MetricsExporter

_SCRAPE_TIMEOUT_SECONDS = 2.0


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class PoolCollector:
    def __init__(self, host: str, worker_ports: Sequence[int]) -> None:
        self._host = host.strip("[]")
        self._ports = list(worker_ports)

    def _scrape(self, port: int) -> str | None:
        url = f"http://{self._host}:{port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=_SCRAPE_TIMEOUT_SECONDS) as reply:
                text: str = reply.read().decode("utf-8")
                return text
        except OSError:
            return None

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for index, port in enumerate(self._ports):
            text = self._scrape(port)
            if text is None:
                continue
            for family in text_string_to_metric_families(text):
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    labels = {**sample.labels, "worker": str(index)}
                    merged.add_sample(sample.name, labels, sample.value, sample.timestamp)
        yield from families.values()


def start_pool_exporter(host: str, port: int, worker_ports: Sequence[int]) -> MetricsExporter:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(host, worker_ports))
    return MetricsExporter(registry, host, port)
