"""`wonder serve`: the gRPC query API (the server is imported only when the command runs)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wonder.settings import GrpcSettings, Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve the gRPC query API: wonder.v1.ListingService, wonder.v1.SyncService,"
        " wonder.v1.MessageService, with health and reflection",
        description="Serve the gRPC query API: wonder.v1.ListingService (listings with their"
        " media and history, agents, offices, the listing change stream), wonder.v1.SyncService"
        " (Buildium sync state, PM Balance Sheet, mirrored leases and ledgers),"
        " wonder.v1.MessageService (stored mail, threads, attachments, links, the message change"
        " stream), grpc.health.v1 and server reflection. Needs a migrated database"
        " (`wonder migrate`); calls need an API token (`wonder tokens create`).",
    )
    parser.add_argument("--host", help="bind address (default: WONDER_GRPC__HOST)")
    parser.add_argument(
        "--port", type=int, help="port, 0 for any free one (default: WONDER_GRPC__PORT)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="worker processes sharing the port via SO_REUSEPORT (default: WONDER_GRPC__PROCESSES)",
    )
    parser.set_defaults(handler=_serve)


def with_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    overrides = {
        key: value
        for key in ("host", "port", "processes")
        if (value := getattr(args, key, None)) is not None
    }
    if not overrides:
        return settings
    grpc_settings = GrpcSettings.model_validate({**settings.grpc.model_dump(), **overrides})
    return settings.model_copy(update={"grpc": grpc_settings})


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from grpc_server.registry import ServiceRegistrationError

    try:
        # Importing the servicers reads every method's scope: a missing one stops us here.
        from grpc_server.main import StartupError, serve
    except ServiceRegistrationError as error:
        print(f"wonder serve: {error}", file=sys.stderr)
        return 2
    try:
        return serve(with_overrides(settings, args))
    except StartupError as error:  # the database is not ready, the port is taken
        print(f"error: {error}", file=sys.stderr)
        return 2
