"""The real server (create_server, auth on) over the test database, with listings seeded by ORM."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import grpc
import grpc.aio
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from sqlalchemy.orm import Session, sessionmaker

from grpc_server.deps import ServerDeps
from grpc_server.server import PlatformServer
from tests.grpc_fixtures import StartServer
from wonder.auth.store import create_token
from wonder.db.models import Listing, ListingChange
from wonder.db.uow import unit_of_work
from wonder.settings import GrpcSettings, Settings
from wonder.v1 import listing_service_pb2_grpc

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_listing(key: str, **overrides: Any) -> Listing:
    """A listing with realistic defaults; ``overrides`` set any column."""
    values: dict[str, Any] = {
        "listing_key": key,
        "listing_id": f"MLS-{key}",
        "standard_status": "Active",
        "property_type": "Residential",
        "property_sub_type": "Single Family Residence",
        "list_price": Decimal("500000.00"),
        "bedrooms_total": 3,
        "bathrooms_total": 2,
        "living_area": 1800.0,
        "year_built": 1995,
        "city": "Austin",
        "state_or_province": "TX",
        "postal_code": "78701",
        "country": "US",
        "latitude": 30.27,
        "longitude": -97.74,
        "modification_timestamp": T0,
        "raw": {"ListingKey": key},
        "first_seen_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Listing(**values)


def seed(sessions: sessionmaker[Session], *rows: object) -> None:
    with unit_of_work(sessions) as session:
        session.add_all(rows)


def add_change(
    sessions: sessionmaker[Session], key: str, kind: str = "upsert", seq: int | None = None
) -> None:
    row = ListingChange(listing_key=key, kind=kind, changed_at=datetime.now(UTC))
    if seq is not None:
        row.seq = seq
    seed(sessions, row)


def status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The google.rpc.Status (with details) carried by a failed call."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no rich status on {error.code()}: {error.details()}"
    return status


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    violations: dict[str, str] = {}
    for detail in status_of(error).details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.update({v.field: v.description for v in bad_request.field_violations})
    return violations


def resource_infos(error: grpc.aio.AioRpcError) -> list[error_details_pb2.ResourceInfo]:
    infos = []
    for detail in status_of(error).details:
        if detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            info = error_details_pb2.ResourceInfo()
            detail.Unpack(info)
            infos.append(info)
    return infos


@dataclass
class ListingApi:
    server: PlatformServer
    port: int
    deps: ServerDeps
    sessions: sessionmaker[Session]
    channel: grpc.aio.Channel
    token: str

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    @property
    def stub(self) -> listing_service_pb2_grpc.ListingServiceAsyncStub:
        return listing_service_pb2_grpc.ListingServiceStub(self.channel)


MakeApi = Callable[..., Awaitable[ListingApi]]


def api_settings(database_url: str, **overrides: Any) -> Settings:
    grpc_values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "health_check_interval_seconds": 5.0,
        "change_stream_poll_seconds": 0.02,
        "change_stream_gap_grace_seconds": 30.0,
        "page_token_secret": "test-page-token-secret",
    }
    grpc_values.update(overrides)
    return Settings(database_url=database_url, grpc=GrpcSettings(**grpc_values))


@pytest.fixture
async def make_api(
    sessions: sessionmaker[Session], database_url: str, start_grpc_server: StartServer
) -> AsyncIterator[MakeApi]:
    """Start the real server (create_server: auth, error mapping, reflection) on port 0."""
    started: list[ListingApi] = []

    async def make(**grpc_overrides: Any) -> ListingApi:
        running = await start_grpc_server(api_settings(database_url, **grpc_overrides))
        with unit_of_work(sessions) as session:
            token = create_token(
                session, f"listing-tests-{len(started)}", "listings:read", datetime.now(UTC)
            ).token
        channel = grpc.aio.insecure_channel(running.target)
        api = ListingApi(running.server, running.port, running.deps, sessions, channel, token)
        started.append(api)
        return api

    yield make
    # The servers stop in start_grpc_server's teardown, after this.
    for api in started:
        await api.channel.close()


@pytest.fixture
async def api(make_api: MakeApi) -> ListingApi:
    return await make_api()
