"""One in-process Prefect (test harness) per session, with the flow heartbeat off.

Entering ``prefect_test_harness`` costs ~10 s, so it is session-scoped; the heartbeat would add
~1 s to the end of every flow run (see DESIGN.md, known pitfalls).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from wonder.settings import TrestleSettings


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        _create_ingest_limit()
        yield


def _create_ingest_limit() -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    from wonder.settings import GmailSettings, ListingIngestSettings

    with get_client(sync_client=True) as client:
        for name in (
            ListingIngestSettings().concurrency_limit_name,
            GmailSettings().concurrency_limit_name,
        ):
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


def trestle_environment(settings: TrestleSettings) -> dict[str, str]:
    """The WONDER_TRESTLE__* variables a worker would get for these settings."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        env[f"WONDER_TRESTLE__{name.upper()}"] = text
    return env


@pytest.fixture
def flow_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, trestle_sandbox: object
) -> TrestleSettings:
    """Point the flows' settings (built from the environment) at the sandbox and the database."""
    settings: TrestleSettings = trestle_sandbox.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("WONDER_DATABASE_URL", database_url)
    # Task retries at once (the policy's backoff is the production default otherwise).
    monkeypatch.setenv("WONDER_FLOWS__TASK_RETRY_BACKOFF_SECONDS", "0")
    for name, value in trestle_environment(settings).items():
        monkeypatch.setenv(name, value)
    return settings
