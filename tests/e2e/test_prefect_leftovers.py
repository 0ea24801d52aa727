"""A demo stopped mid-run leaves a flow run "running" and its concurrency slots taken on the
Prefect server (whose slot leases live in memory and die with it); the next demo clears them
before its worker starts, instead of waiting forever for a slot."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.states import Running

from devstack.platform import DemoConfig, start_prefect_server
from devstack.prefect_api import PrefectApi
from devstack.processes import Supervisor, free_port
from wonder.settings import Settings

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.timeout(600)]

REPO_ROOT = Path(__file__).resolve().parents[2]


@flow(name="leftover")
def leftover() -> None:
    """Never runs here: only its flow-run record is made."""


def test_leftover_runs_are_cancelled_and_their_slots_freed(tmp_path: Path) -> None:
    config = DemoConfig(
        root=REPO_ROOT, settings=Settings(), prefect_port=free_port(), var_dir=tmp_path / "var"
    )
    with Supervisor(config.logs) as supervisor:
        start_prefect_server(config, supervisor, config.env())
        with SyncPrefectClient(config.prefect_api_url) as client:
            stuck = client.create_flow_run(leftover, state=Running())
            with PrefectApi(config.prefect_api_url) as api:
                api.ensure_concurrency_limit("listings-ingest", 1)
                client.update_global_concurrency_limit(
                    "listings-ingest", GlobalConcurrencyLimitUpdate(active_slots=1)
                )

                cancelled, freed = api.clear_leftovers("left over")
                assert cancelled == [f"{stuck.name} (Running)"]
                assert freed == ["listings-ingest"]
                assert api.clear_leftovers("left over") == ([], [])

            state = client.read_flow_run(stuck.id).state
            assert state is not None
            assert (state.type.value, state.message) == ("CANCELLED", "left over")
            limit = client.read_global_concurrency_limit_by_name("listings-ingest")
            assert limit.active_slots == 0
