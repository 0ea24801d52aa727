"""The real server with a ``sync:read`` token, and helpers for the SyncService tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from google.type import money_pb2
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.api.conftest import ListingApi, MakeApi
from wonder.auth.store import create_token
from wonder.db.base import Base
from wonder.db.types import JsonDocument, UTCDateTime
from wonder.db.uow import unit_of_work
from wonder.v1 import sync_service_pb2_grpc


@dataclass
class SyncApi:
    api: ListingApi
    token: str
    write_token: str

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.api.sessions

    @property
    def write_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.write_token}"),)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    @property
    def stub(self) -> sync_service_pb2_grpc.SyncServiceAsyncStub:
        return sync_service_pb2_grpc.SyncServiceStub(self.api.channel)

    async def call(self, method: str, request: Any, *, write: bool = False) -> Any:
        rpc: Callable[..., Awaitable[Any]] = getattr(self.stub, method)
        metadata = self.write_metadata if write else self.metadata
        return await rpc(request, metadata=metadata, timeout=10)


def ensure_inbox_table(engine: Engine) -> None:
    """The webhook slice's inbox table, created here with the columns the sync API reads only
    while that slice's migration is not on this branch (once merged, the migrated one is used)."""
    if "webhook_inbox" in Base.metadata.tables:
        return  # migrated, and emptied between tests like every table
    if inspect(engine).has_table("webhook_inbox"):
        with engine.begin() as connection:  # ours, left by a test that died before teardown
            connection.execute(text("DROP TABLE webhook_inbox"))
    metadata = MetaData()
    Table(
        "webhook_inbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("source", String(32), nullable=False),
        Column("dedupe_key", String(255), nullable=False, unique=True),
        Column("entity_key", String(400), nullable=False),
        Column("payload", JsonDocument, nullable=False),
        Column("received_at", UTCDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_error", Text),
        Column("claimed_at", UTCDateTime),
        Column("processed_at", UTCDateTime),
        Column("dead_at", UTCDateTime),
    )
    metadata.create_all(engine)


def add_inbox_event(
    engine: Engine, event_id: int, status: str, *, source: str = "buildium", **values: Any
) -> None:
    row = {
        "id": event_id, "source": source, "dedupe_key": f"k{event_id}",
        "entity_key": f"lease.{event_id}", "payload": {"EventName": "Lease.Updated"},
        "received_at": T0, "status": status, "attempts": 0, "last_error": None,
        "claimed_at": None, "processed_at": None, "dead_at": None, **values,
    }  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            Table("webhook_inbox", MetaData(), autoload_with=connection).insert(), [row]
        )


T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def drop_own_inbox_table(engine: Engine) -> None:
    """Drop the table ``ensure_inbox_table`` made, so the schema checks see only the models."""
    if "webhook_inbox" not in Base.metadata.tables:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS webhook_inbox"))


@pytest.fixture
async def sync_api(make_api: MakeApi, engine: Engine) -> AsyncIterator[SyncApi]:
    ensure_inbox_table(engine)
    api = await make_api()
    with unit_of_work(api.sessions) as session:
        token = create_token(session, "sync-tests", "sync:read", datetime.now(UTC)).token
        write_token = create_token(session, "sync-writer", "sync:write", datetime.now(UTC)).token
    yield SyncApi(api, token, write_token)
    drop_own_inbox_table(engine)


def amount(value: money_pb2.Money) -> Decimal:
    """A google.type.Money as an exact Decimal (USD), checking its sign rule."""
    assert value.currency_code == "USD"
    assert value.units == 0 or value.nanos == 0 or (value.units > 0) == (value.nanos > 0)
    return Decimal(value.units) + Decimal(value.nanos) / Decimal(1_000_000_000)
