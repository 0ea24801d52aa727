"""Dead letters over real gRPC on both databases: listed oldest first in keyset pages, replayed
with `sync:write` only (back to pending, attempts reset), counted by GetSyncState."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import grpc
import grpc.aio
import pytest
from sqlalchemy import Engine, MetaData, Table, select

from tests.integration.api.conftest import field_violations, resource_infos
from tests.integration.api.sync_support import T0, SyncApi, add_inbox_event, sync_api
from wonder.v1 import sync_service_pb2 as pb

__all__ = ["sync_api"]


def seed_inbox(engine: Engine) -> None:
    dead: dict[str, Any] = {
        "dead_at": T0 + timedelta(minutes=1),
        "attempts": 5,
        "last_error": "no such lease",
    }
    add_inbox_event(engine, 1, "dead", **dead)
    add_inbox_event(engine, 2, "pending")
    add_inbox_event(engine, 3, "dead", **dead)
    add_inbox_event(engine, 4, "processing")
    add_inbox_event(engine, 5, "done")
    add_inbox_event(engine, 6, "dead", source="gmail", **dead)
    add_inbox_event(engine, 7, "dead", **dead)
    add_inbox_event(engine, 8, "pending", source="gmail")


def status_of(engine: Engine, event_id: int) -> tuple[str, int, str | None]:
    with engine.connect() as connection:
        inbox = Table("webhook_inbox", MetaData(), autoload_with=connection)
        row = connection.execute(
            select(inbox.c.status, inbox.c.attempts, inbox.c.dead_at).where(inbox.c.id == event_id)
        ).one()
    return row.status, row.attempts, row.dead_at


async def names(api: SyncApi, **request: Any) -> list[str]:
    found: list[str] = []
    token = ""
    while True:
        page = await api.call(
            "ListDeadLetters", pb.ListDeadLettersRequest(page_size=1, page_token=token, **request)
        )
        found.extend(letter.name for letter in page.dead_letters)
        token = page.next_page_token
        if not token:
            return found


async def test_dead_letters_are_listed_oldest_first_by_source(
    sync_api: SyncApi, engine: Engine
) -> None:
    seed_inbox(engine)
    assert await names(sync_api) == ["deadLetters/1", "deadLetters/3", "deadLetters/6",
                                     "deadLetters/7"]  # fmt: skip
    assert await names(sync_api, source="buildium") == [
        "deadLetters/1", "deadLetters/3", "deadLetters/7",
    ]  # fmt: skip
    page = await sync_api.call("ListDeadLetters", pb.ListDeadLettersRequest(source="gmail"))
    [letter] = page.dead_letters
    assert (letter.source, letter.entity_key, letter.attempts, letter.last_error) == (
        "gmail", "lease.6", 5, "no such lease",
    )  # fmt: skip
    first = await sync_api.call("ListDeadLetters", pb.ListDeadLettersRequest(page_size=1))
    with pytest.raises(grpc.aio.AioRpcError) as other_source:
        await sync_api.call(
            "ListDeadLetters",
            pb.ListDeadLettersRequest(source="gmail", page_token=first.next_page_token),
        )
    assert "page_token" in field_violations(other_source.value)


async def test_sync_state_counts_the_buildium_inbox(sync_api: SyncApi, engine: Engine) -> None:
    seed_inbox(engine)
    state = await sync_api.call("GetSyncState", pb.GetSyncStateRequest(name="syncState"))
    with engine.connect() as connection:
        inbox = Table("webhook_inbox", MetaData(), autoload_with=connection)
        rows = connection.execute(select(inbox.c.source, inbox.c.status)).all()
    waiting = sum(
        1 for r in rows if r.source == "buildium" and r.status in ("pending", "processing")
    )
    dead = sum(1 for r in rows if r.source == "buildium" and r.status == "dead")
    assert (state.inbox_depth, state.dead_letter_count) == (waiting, dead) == (2, 3)


async def test_a_replay_needs_sync_write_and_puts_the_letter_back_once(
    sync_api: SyncApi, engine: Engine
) -> None:
    seed_inbox(engine)
    request = pb.ReplayDeadLetterRequest(name="deadLetters/3")
    with pytest.raises(grpc.aio.AioRpcError) as read_only:
        await sync_api.call("ReplayDeadLetter", request)
    assert read_only.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert status_of(engine, 3)[0] == "dead"

    letter = await sync_api.call("ReplayDeadLetter", request, write=True)
    assert (letter.name, letter.attempts, letter.last_error) == (
        "deadLetters/3",
        5,
        "no such lease",
    )
    assert status_of(engine, 3) == ("pending", 0, None)
    assert status_of(engine, 1)[0] == "dead"  # only that one

    for name in ("deadLetters/3", "deadLetters/2", "deadLetters/999"):  # replayed, live, absent
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await sync_api.call(
                "ReplayDeadLetter", pb.ReplayDeadLetterRequest(name=name), write=True
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        [info] = resource_infos(missing.value)
        assert (info.resource_type, info.resource_name) == ("wonder.v1.DeadLetter", name)
    assert status_of(engine, 2)[0] == "pending"
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await sync_api.call(
            "ReplayDeadLetter", pb.ReplayDeadLetterRequest(name="deadLetters/x"), write=True
        )
    assert "name" in field_violations(bad.value)
