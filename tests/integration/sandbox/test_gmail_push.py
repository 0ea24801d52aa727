"""Pub/Sub push from the Gmail sandbox: verifiable JWTs, the body's shape, one per second per
mailbox, drops and late deliveries on purpose."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import google.auth.transport.requests
import orjson
import pytest
import requests
from google.oauth2 import id_token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.gmail_fixtures import GmailRig
from wonder.sandbox.gmail.config import GmailAdvance, PushSettings
from wonder.sandbox.gmail.push import ISSUER
from wonder.sandbox.server import serve_in_thread

AGENT = "agent@wonderstreet.example"


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[tuple[dict[str, str], bytes]] = []

    async def push(request: Request) -> Response:
        box.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    app = Starlette(routes=[Route("/push", push, methods=["POST"])])
    with serve_in_thread(app) as server:
        yield Receiver(f"{server.base_url}/push", box)


def watch(rig: GmailRig, **body: object) -> dict[str, str]:
    request = {"topicName": "projects/wonder/topics/gmail", **body}
    answer: dict[str, str] = rig.service().users().watch(userId="me", body=request).execute()
    return answer


def decoded(body: bytes) -> dict[str, object]:
    message = orjson.loads(body)["message"]
    data: dict[str, object] = orjson.loads(base64.urlsafe_b64decode(message["data"]))
    return data


def test_a_watch_notifies_at_once_with_a_jwt_google_auth_verifies(
    gmail: GmailRig, receiver: Receiver
) -> None:
    gmail.sandbox.state.set_push_target(receiver.url, "https://hooks.example/gmail")
    answer = watch(gmail)
    assert int(answer["expiration"]) > 0
    gmail.sandbox.pump_push()
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert decoded(body) == {"emailAddress": AGENT, "historyId": int(answer["historyId"])}
    token = headers["authorization"].removeprefix("Bearer ")
    with requests.Session() as session:
        claims = id_token.verify_token(
            token,
            google.auth.transport.requests.Request(session),
            audience="https://hooks.example/gmail",
            certs_url=f"{gmail.base_url}/oauth2/v1/certs",
        )
    assert claims["iss"] == ISSUER
    assert claims["email"] == gmail.sandbox.config.push_service_account
    with requests.Session() as session, pytest.raises(ValueError, match="audience"):
        id_token.verify_token(
            token,
            google.auth.transport.requests.Request(session),
            audience="https://someone-else.example",
            certs_url=f"{gmail.base_url}/oauth2/v1/certs",
        )


def test_at_most_one_notification_per_second_per_mailbox(
    gmail: GmailRig, receiver: Receiver
) -> None:
    gmail.sandbox.state.set_push_target(receiver.url, None)
    watch(gmail)
    # Three changes in the same (frozen) second: the watch's own notification covers them.
    gmail.sandbox.apply_advance(GmailAdvance(new_messages=6))  # 3 per mailbox
    gmail.sandbox.pump_push()
    assert len(receiver.received) == 1
    assert gmail.sandbox.state.push_counts["coalesced"] == 3
    gmail.sandbox.apply_advance(GmailAdvance(seconds=1.5, new_messages=2))
    gmail.sandbox.pump_push()
    assert len(receiver.received) == 2
    box = gmail.sandbox.state.mailboxes[AGENT]
    assert decoded(receiver.received[-1][1])["historyId"] == box.history_id


def test_dropped_and_late_notifications(gmail: GmailRig, receiver: Receiver) -> None:
    state = gmail.sandbox.state
    state.set_push_target(receiver.url, None)
    state.config = state.config.model_copy(update={"push": PushSettings(drop_rate=1.0)})
    watch(gmail)
    gmail.sandbox.pump_push()
    assert receiver.received == []
    assert state.push_counts["dropped"] == 1
    state.config = state.config.model_copy(
        update={"push": PushSettings(late_rate=1.0, late_seconds=30)}
    )
    gmail.sandbox.apply_advance(GmailAdvance(seconds=2, new_messages=2))
    gmail.sandbox.pump_push()
    assert receiver.received == []  # due 30 s later on the sandbox clock
    gmail.sandbox.apply_advance(GmailAdvance(seconds=31))
    gmail.sandbox.pump_push()
    assert len(receiver.received) == 1


def test_stop_ends_the_notifications(gmail: GmailRig, receiver: Receiver) -> None:
    gmail.sandbox.state.set_push_target(receiver.url, None)
    watch(gmail)
    gmail.sandbox.pump_push()
    gmail.service().users().stop(userId="me").execute()
    gmail.sandbox.apply_advance(GmailAdvance(seconds=5, new_messages=2))
    gmail.sandbox.pump_push()
    assert len(receiver.received) == 1
