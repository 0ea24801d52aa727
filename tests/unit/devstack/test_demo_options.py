"""`python -m devstack` options: the ports default to the settings and can be moved."""

from __future__ import annotations

from devstack.demo import parse_args
from wonder.settings import GrpcSettings, SandboxSettings, Settings, TrestleSandboxSettings


def test_ports_default_to_the_contract_and_the_settings() -> None:
    settings = Settings(
        grpc=GrpcSettings(port=50061),
        sandbox=SandboxSettings(trestle=TrestleSandboxSettings(port=8801)),
    )
    args = parse_args([], settings)
    assert (args.prefect_port, args.grpc_port, args.sandbox_port) == (4200, 50061, 8801)


def test_every_port_can_be_moved() -> None:
    args = parse_args(
        ["--prefect-port", "4300", "--grpc-port", "50100", "--sandbox-port", "8900"], Settings()
    )
    assert (args.prefect_port, args.grpc_port, args.sandbox_port) == (4300, 50100, 8900)
