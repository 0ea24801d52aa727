"""MessageService.ModifyMessageLabels over real gRPC, through the real Gmail sandbox over HTTP, on
both databases. The sandbox's own mailbox is the oracle: the labels there must have changed (or,
on every refusal, not), and the stored copy, its label changes and the change feed follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import grpc.aio
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.gmail_fixtures import GmailRig
from tests.grpc_fixtures import StartServer
from tests.integration.api.conftest import api_settings, field_violations, resource_infos
from tests.integration.mail.mail_rig import AGENT, sync
from wonder.auth.store import create_token
from wonder.db.enums import LabelChangeKind
from wonder.db.models import MailLabelChange, MailMessage, MailMessageChange
from wonder.db.uow import unit_of_work
from wonder.sandbox.gmail.config import GmailFaultSettings
from wonder.settings import GmailSettings
from wonder.v1 import message_pb2, message_service_pb2_grpc
from wonder.v1 import message_service_pb2 as mpb

NAME = "mailboxes/{}/messages/{}"


@dataclass
class LabelApi:
    stub: message_service_pb2_grpc.MessageServiceAsyncStub
    metadata: tuple[tuple[str, str], ...]
    gmail: GmailRig
    sessions: sessionmaker[Session]

    def labels_in_gmail(self, gmail_id: str) -> set[str]:
        with self.gmail.sandbox.state.lock:
            return set(self.gmail.sandbox.state.mailboxes[AGENT].messages[gmail_id].label_ids)

    def stored(self, gmail_id: str) -> tuple[set[str], list[tuple[str, list[str]]], list[str]]:
        """The stored labels, label changes (kind, labels) and change-feed kinds of a message."""
        with self.sessions() as session:
            labels = session.scalars(
                select(MailMessage.label_ids).where(
                    MailMessage.mailbox == AGENT, MailMessage.gmail_id == gmail_id
                )
            ).one()
            changes = session.execute(
                select(MailLabelChange.kind, MailLabelChange.label_ids)
                .where(MailLabelChange.gmail_id == gmail_id)
                .order_by(MailLabelChange.id)
            ).all()
            feed = session.scalars(
                select(MailMessageChange.kind)
                .where(MailMessageChange.gmail_id == gmail_id)
                .order_by(MailMessageChange.seq)
            ).all()
        return set(labels), [(str(k), list(v)) for k, v in changes], list(feed)

    async def modify(
        self, gmail_id: str, add: list[str] | None = None, remove: list[str] | None = None
    ) -> message_pb2.Message:
        request = mpb.ModifyMessageLabelsRequest(
            name=NAME.format(AGENT, gmail_id),
            add_label_ids=add or [],
            remove_label_ids=remove or [],
        )
        return await self.stub.ModifyMessageLabels(request, metadata=self.metadata)

    async def refused(
        self, gmail_id: str, add: list[str] | None = None, remove: list[str] | None = None
    ) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await self.modify(gmail_id, add, remove)
        return error.value


@pytest.fixture
async def lapi(
    gmail: GmailRig,
    sessions: sessionmaker[Session],
    database_url: str,
    start_grpc_server: StartServer,
) -> AsyncIterator[LabelApi]:
    sync(sessions, gmail)
    settings = api_settings(database_url).model_copy(
        update={
            "gmail": GmailSettings(base_url=gmail.base_url, mailboxes=(AGENT,), api_max_retries=1)
        }
    )
    running = await start_grpc_server(settings)
    with unit_of_work(sessions) as session:
        token = create_token(
            session, "labeller", "messages:label messages:read", datetime.now(UTC)
        ).token
    channel = grpc.aio.insecure_channel(running.target)
    yield LabelApi(
        message_service_pb2_grpc.MessageServiceStub(channel),
        (("authorization", f"Bearer {token}"),),
        gmail,
        sessions,
    )
    await channel.close()


def unread_inbox_message(api: LabelApi) -> str:
    with api.gmail.sandbox.state.lock:
        box = api.gmail.sandbox.state.mailboxes[AGENT]
        return next(
            i
            for i, m in sorted(box.messages.items())
            if {"INBOX", "UNREAD"} <= m.label_ids and "STARRED" not in m.label_ids
        )


def user_label(api: LabelApi, name: str) -> str:
    with api.gmail.sandbox.state.lock:
        return api.gmail.sandbox.state.mailboxes[AGENT].create_label(name).id


async def test_labels_change_in_gmail_then_in_the_store_with_a_change_and_a_feed_row(
    lapi: LabelApi,
) -> None:
    gmail_id = unread_inbox_message(lapi)
    followup = user_label(lapi, "Follow up")
    before = lapi.labels_in_gmail(gmail_id)
    _, changes_before, feed_before = lapi.stored(gmail_id)

    message = await lapi.modify(gmail_id, add=["STARRED", followup], remove=["UNREAD"])

    in_gmail = lapi.labels_in_gmail(gmail_id)
    assert in_gmail == (before | {"STARRED", followup}) - {"UNREAD"}
    assert list(message.label_ids) == sorted(in_gmail)
    assert message.name == NAME.format(AGENT, gmail_id)
    labels, changes, feed = lapi.stored(gmail_id)
    assert labels == in_gmail
    assert changes[len(changes_before) :] == [
        (LabelChangeKind.ADDED, sorted({"STARRED", followup})),
        (LabelChangeKind.REMOVED, ["UNREAD"]),
    ]
    assert feed[len(feed_before) :] == ["labels"]
    got = await lapi.stub.GetMessage(
        mpb.GetMessageRequest(name=message.name), metadata=lapi.metadata
    )
    assert got == message


async def test_the_history_sync_stores_our_own_change_once(lapi: LabelApi) -> None:
    gmail_id = unread_inbox_message(lapi)
    _, changes_before, _ = lapi.stored(gmail_id)
    await lapi.modify(gmail_id, add=["STARRED"])
    sync(lapi.sessions, lapi.gmail)  # history now reports the same labelAdded
    labels, changes, _ = lapi.stored(gmail_id)
    assert labels == lapi.labels_in_gmail(gmail_id)
    assert changes[len(changes_before) :] == [(LabelChangeKind.ADDED, ["STARRED"])]


async def test_an_unknown_or_bad_label_is_invalid_argument_naming_the_field(
    lapi: LabelApi,
) -> None:
    gmail_id = unread_inbox_message(lapi)
    before, changes_before, feed_before = lapi.stored(gmail_id)
    cases = [
        ({"add": ["STARRED", "Label_404"]}, "add_label_ids[1]"),
        ({"remove": ["Label_404"]}, "remove_label_ids[0]"),
        ({}, "add_label_ids"),
        ({"add": ["STARRED"], "remove": ["INBOX", "STARRED"]}, "remove_label_ids[1]"),
        ({"add": [""]}, "add_label_ids[0]"),
    ]
    for kwargs, field in cases:
        error = await lapi.refused(gmail_id, **kwargs)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, kwargs
        assert field in field_violations(error), (kwargs, field_violations(error))
    assert lapi.labels_in_gmail(gmail_id) == before
    assert lapi.stored(gmail_id) == (before, changes_before, feed_before)


async def test_an_unknown_message_is_not_found(lapi: LabelApi) -> None:
    error = await lapi.refused("no-such-message", add=["STARRED"])
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert [i.resource_name for i in resource_infos(error)] == [
        NAME.format(AGENT, "no-such-message")
    ]
    # Stored here, but deleted in Gmail since the last sync: Gmail's 404 is NOT_FOUND too.
    gmail_id = unread_inbox_message(lapi)
    before = lapi.stored(gmail_id)
    with lapi.gmail.sandbox.state.lock:
        lapi.gmail.sandbox.state.mailboxes[AGENT].delete(gmail_id)
    error = await lapi.refused(gmail_id, add=["STARRED"])
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert lapi.stored(gmail_id) == before


@pytest.mark.parametrize(
    "faults", [GmailFaultSettings(error_rate=1.0), GmailFaultSettings(burst_429=50)]
)
async def test_gmail_down_or_over_quota_is_unavailable_and_changes_nothing(
    lapi: LabelApi, faults: GmailFaultSettings
) -> None:
    gmail_id = unread_inbox_message(lapi)
    before = lapi.stored(gmail_id)
    lapi.gmail.sandbox.set_faults(faults)
    error = await lapi.refused(gmail_id, add=["STARRED"])
    assert error.code() == grpc.StatusCode.UNAVAILABLE, error.details()
    assert "Gmail" in (error.details() or "")
    lapi.gmail.sandbox.set_faults(GmailFaultSettings())
    assert "STARRED" not in lapi.labels_in_gmail(gmail_id)
    assert lapi.stored(gmail_id) == before
    # Gmail back: the same call goes through.
    message = await lapi.modify(gmail_id, add=["STARRED"])
    assert "STARRED" in message.label_ids
