"""``POST /webhooks/gmail``: a Pub/Sub push whose OIDC token google-auth verifies against certs
served on loopback; issuer, audience, service account and expiry are all checked; duplicates by
Pub/Sub message id and by (mailbox, historyId) are stored once."""

from __future__ import annotations

import time

import pytest

from tests.webhook_fixtures import AUDIENCE, SigningKey, push_body

PATH = "/webhooks/gmail"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


def test_a_verified_push_is_stored(start_receiver, signing_key) -> None:
    receiver = start_receiver()
    answer = receiver.post(
        PATH, push_body("Ops@Wonder.test", 1001, "m-1"), bearer(signing_key.token())
    )
    assert answer.status_code == 200
    [row] = receiver.rows()
    assert (row.source, row.mailbox, row.history_id) == ("gmail", "ops@wonder.test", 1001)
    assert row.entity_key == "mailbox.ops@wonder.test"
    assert row.dedupe_key == "gmail:m-1"
    assert row.payload["messageId"] == "m-1"


@pytest.mark.parametrize(
    ("why", "claims"),
    [
        ("expired", {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}),
        ("wrong audience", {"aud": "https://elsewhere.test/push"}),
        ("wrong issuer", {"iss": "https://evil.example"}),
        ("no issuer", {"iss": None}),
        ("wrong email", {"email": "someone@else.iam.gserviceaccount.com"}),
        ("email not verified", {"email_verified": False}),
    ],
)
def test_refused_tokens_are_401(start_receiver, signing_key, why, claims) -> None:
    receiver = start_receiver()
    answer = receiver.post(PATH, push_body(), bearer(signing_key.token(**claims)))
    assert answer.status_code == 401, why
    assert receiver.rows() == []


def test_a_token_signed_by_another_key_is_401(start_receiver) -> None:
    receiver = start_receiver()
    forger = SigningKey.generate()  # same kid, different key
    assert receiver.post(PATH, push_body(), bearer(forger.token())).status_code == 401
    assert receiver.post(PATH, push_body(), {"authorization": "Basic abc"}).status_code == 401
    assert receiver.post(PATH, push_body(), {}).status_code == 401
    assert receiver.post(PATH, push_body(), bearer("not.a.jwt")).status_code == 401
    assert receiver.rows() == []


def test_duplicates_by_message_id_and_by_mailbox_history_are_stored_once(
    start_receiver, signing_key
) -> None:
    receiver = start_receiver()
    headers = bearer(signing_key.token(aud=AUDIENCE))
    answers = [
        receiver.post(PATH, push_body("ops@wonder.test", 1001, "m-1"), headers),
        receiver.post(PATH, push_body("ops@wonder.test", 1001, "m-1"), headers),  # redelivery
        receiver.post(PATH, push_body("ops@wonder.test", 1001, "m-2"), headers),  # republished
        receiver.post(PATH, push_body("ops@wonder.test", 1002, "m-3"), headers),
        receiver.post(PATH, push_body("leads@wonder.test", 1001, "m-4"), headers),
    ]
    assert [a.status_code for a in answers] == [200] * 5
    rows = receiver.rows()
    assert [(r.mailbox, r.history_id) for r in rows] == [
        ("ops@wonder.test", 1001),
        ("ops@wonder.test", 1002),
        ("leads@wonder.test", 1001),
    ]


def test_malformed_pushes_are_400(start_receiver, signing_key) -> None:
    receiver = start_receiver()
    headers = bearer(signing_key.token())
    for body in (
        b"{",
        b"{}",
        b'{"message": {"messageId": "x", "data": "!!!"}}',
        b'{"message": {"data": "e30"}}',
    ):
        assert receiver.post(PATH, body, headers).status_code == 400, body
    assert receiver.rows() == []
