"""``python -m bench.buildium_sandbox [--leases N]``: can the Buildium sandbox keep up with the
10 requests/s a real account allows, at benchmark scale?

The sandbox runs in-process behind real HTTP (its own thread; fast profile so its rate limit is
not what is measured); the client walks leases, tenants and outstanding balances in pages of
1,000. Figures, side by side in the same run:

- requests made against the minimum the paging allows (ceil(total / 1000) per resource + 0 extra);
- seconds per request against the 0.1 s a 10/s account spends per request (ratio < 1: the
  sandbox is never the bottleneck of a benchmark at the real rate);
- the seed time at that scale (no reference: printed for the record).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from bench.support import progress
from bench.table import Row, render_text
from wonder.clients.buildium import BuildiumClient
from wonder.clients.governor import TokenBucket
from wonder.sandbox.buildium import BuildiumSandbox, BuildiumSandboxConfig
from wonder.sandbox.server import serve_in_thread
from wonder.settings import BuildiumSettings

REAL_SECONDS_PER_REQUEST = 0.1


def run(leases: int) -> list[Row]:
    started = time.perf_counter()
    config = BuildiumSandboxConfig(
        properties=max(1, leases // 12),
        units=int(leases * 1.1),
        leases=leases,
        profile="fast",
        start_time=datetime(2026, 3, 10, 12, tzinfo=UTC),
    )
    sandbox = BuildiumSandbox(config)
    seeded = time.perf_counter() - started
    progress(f"seeded {leases:,} leases in {seeded:.1f} s")
    with serve_in_thread(sandbox.app) as server:
        settings = BuildiumSettings(base_url=server.base_url)
        with BuildiumClient(settings, governor=TokenBucket(10_000)) as client:
            walk_started = time.perf_counter()
            counts = {
                "leases": sum(1 for _ in client.leases()),
                "tenants": sum(1 for _ in client.tenants()),
                "balances": sum(1 for _ in client.outstanding_balances()),
            }
            elapsed = time.perf_counter() - walk_started
            made = client.requests_made
    sandbox.close()
    minimum = sum(-(-n // 1000) for n in counts.values())
    per_request = elapsed / made
    return [
        Row(f"seed {leases:,} leases", f"{seeded:.1f} s"),
        Row(
            "requests for leases, tenants, balances",
            str(made),
            str(minimum),
            f"{made / minimum:.2f}",
            "1.00",
            made == minimum,
        ),
        Row(
            "seconds per 1,000-record page",
            f"{per_request:.3f} s",
            f"{REAL_SECONDS_PER_REQUEST} s (10/s)",
            f"{per_request / REAL_SECONDS_PER_REQUEST:.2f}",
            "< 1.0",
            per_request < REAL_SECONDS_PER_REQUEST,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildium_sandbox", description=__doc__)
    parser.add_argument("--leases", type=int, default=10_000)
    args = parser.parse_args()
    print(render_text(f"Buildium sandbox at {args.leases:,} leases", run(args.leases)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
