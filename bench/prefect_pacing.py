"""Buildium requests per second through the Prefect rate limit (``python -m bench.prefect_pacing``).

One worker sends ``REQUESTS`` sequential requests to a small Buildium sandbox through each
governor, against a real Prefect server (the test harness's) holding the strict global rate
limit ``buildium-account`` with one slot: the Prefect limit alone at 9 and 9.5 slots/s, then what
a 9/s in-process bucket in front of the limit at 9.5 slots/s (tried, to ask only once a slot
has decayed: it does not reliably help). The flows use the limit at 9.5 slots/s
(``flows.governor.buildium_governor``). The reference is Buildium's 10 requests/s.
"""

from __future__ import annotations

import time

from bench.support import progress
from bench.table import Row, render_text

REQUESTS = 45
CEILING = 10.0


def run() -> list[Row]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.testing.utilities import prefect_test_harness

    from flows.governor import PrefectRateGovernor, buildium_governor
    from wonder.clients.buildium import BuildiumClient
    from wonder.clients.buildium.governor import account_bucket
    from wonder.clients.governor import AllOf, RateGovernor
    from wonder.sandbox.buildium import BuildiumSandbox, BuildiumSandboxConfig
    from wonder.sandbox.server import serve_in_thread
    from wonder.settings import BuildiumSettings

    sandbox = BuildiumSandbox(BuildiumSandboxConfig(properties=2, units=4, leases=2))
    server = serve_in_thread(sandbox.app)
    rows = []
    try:
        with prefect_test_harness(server_startup_timeout=120), get_client(sync_client=True) as c:
            settings = BuildiumSettings(base_url=server.base_url)
            for name, decay in (("slots-9", 9.0), (settings.rate_limit_name, 9.5)):
                c.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1, slot_decay_per_second=decay)
                )
            bucket = account_bucket(settings.base_url, "bench", 9.5 * 0.95)
            cases: list[tuple[str, RateGovernor]] = [
                ("Prefect rate limit alone, 9 slots/s", PrefectRateGovernor("slots-9")),
                ("Prefect rate limit alone, 9.5 slots/s", buildium_governor(settings)),
                (
                    "a 9/s process bucket, then the limit at 9.5 slots/s",
                    AllOf(bucket, buildium_governor(settings)),
                ),
            ]
            for label, governor in cases:
                progress(f"prefect pacing: {label}")
                with BuildiumClient(settings, governor=governor) as client:
                    started = time.monotonic()
                    for _ in range(REQUESTS):
                        client.get("/v1/glaccounts")
                    rate = REQUESTS / (time.monotonic() - started)
                rows.append(
                    Row(f"{label}, {REQUESTS} requests", f"{rate:.1f}/s", "Buildium's 10/s",
                        f"{rate / CEILING:.2f}")
                )  # fmt: skip
    finally:
        server.stop()
        sandbox.close()
    return rows


if __name__ == "__main__":
    print(render_text("Buildium requests through the Prefect rate limit", run()))
