"""What the demo prints while Prefect starts, and the ports its options choose."""

from __future__ import annotations

from devstack.demo import demo_settings, parse_args
from devstack.platform import prefect_start_stage
from wonder.settings import Settings

BANNER = "Check out the dashboard at http://127.0.0.1:4200\n"
WAITING = "INFO:     Started server process [1]\nINFO:     Waiting for application startup.\n"
COMPLETE = "04:37:31 | INFO | uvicorn.error - Application startup complete.\n"


def test_the_sandbox_and_grpc_ports_reach_the_settings() -> None:
    settings = demo_settings(
        Settings(), parse_args(["--grpc-port", "50100", "--sandbox-port", "8900"], Settings())
    )
    assert (settings.grpc.port, settings.sandbox.trestle.port) == (50100, 8900)


def test_each_stage_of_a_prefect_start_is_named_from_its_log() -> None:
    stages = [
        prefect_start_stage(log, fresh_database=True)
        for log in ("", BANNER, BANNER + WAITING, BANNER + WAITING + COMPLETE)
    ]
    assert stages == [
        "loading the Prefect CLI",
        "starting the server process (importing the server)",
        "creating its database var/prefect/prefect.db (first start: every migration, ~10 s)"
        " and starting its services",
        "answering /api/health",
    ]


def test_a_second_start_only_checks_the_migrations() -> None:
    assert prefect_start_stage(BANNER + WAITING, fresh_database=False) == (
        "checking its database's migrations and starting its services"
    )
