"""The real server with a ``sync:read`` token, and helpers for the SyncService tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from google.type import money_pb2
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.api.conftest import ListingApi, MakeApi
from wonder.auth.store import create_token
from wonder.db.uow import unit_of_work
from wonder.v1 import sync_service_pb2_grpc


@dataclass
class SyncApi:
    api: ListingApi
    token: str

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.api.sessions

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    @property
    def stub(self) -> sync_service_pb2_grpc.SyncServiceAsyncStub:
        return sync_service_pb2_grpc.SyncServiceStub(self.api.channel)

    async def call(self, method: str, request: Any) -> Any:
        rpc: Callable[..., Awaitable[Any]] = getattr(self.stub, method)
        return await rpc(request, metadata=self.metadata, timeout=10)


@pytest.fixture
async def sync_api(make_api: MakeApi) -> SyncApi:
    api = await make_api()
    with unit_of_work(api.sessions) as session:
        token = create_token(session, "sync-tests", "sync:read", datetime.now(UTC)).token
    return SyncApi(api, token)


def amount(value: money_pb2.Money) -> Decimal:
    """A google.type.Money as an exact Decimal (USD), checking its sign rule."""
    assert value.currency_code == "USD"
    assert value.units == 0 or value.nanos == 0 or (value.units > 0) == (value.nanos > 0)
    return Decimal(value.units) + Decimal(value.nanos) / Decimal(1_000_000_000)
