"""The Gmail sandbox driven by google-api-python-client over HTTP, checked against its state."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime

import httpx
import pytest
from googleapiclient.errors import HttpError

from tests.gmail_fixtures import GmailRig
from wonder.sandbox.gmail.config import GmailAdvance
from wonder.sandbox.gmail.mail_factory import MALFORMED
from wonder.sandbox.gmail.resources import parse_mime

AGENT = "agent@wonderstreet.example"


def list_all(service: object, **kwargs: object) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = service.users().messages().list(userId="me", pageToken=token, **kwargs).execute()  # type: ignore[attr-defined]
        ids += [m["id"] for m in page.get("messages", [])]
        token = page.get("nextPageToken")
        if not token:
            return ids


def test_listing_pages_through_every_visible_message_once(gmail: GmailRig) -> None:
    ids = list_all(gmail.service(), maxResults=7)
    box = gmail.sandbox.state.mailboxes[AGENT]
    visible = {m.id for m in box.messages.values() if not {"SPAM", "TRASH"} & m.label_ids}
    assert len(ids) == len(set(ids))
    assert set(ids) == visible
    assert set(list_all(gmail.service(), includeSpamTrash=True)) == set(box.messages)


def test_a_fields_mask_trims_the_answer(gmail: GmailRig) -> None:
    page = (
        gmail.service()
        .users()
        .messages()
        .list(userId="me", maxResults=3, fields="messages(id),nextPageToken")
        .execute()
    )
    assert set(page) == {"messages", "nextPageToken"}
    assert all(set(m) == {"id"} for m in page["messages"])


def test_every_format_serves_the_stored_message(gmail: GmailRig) -> None:
    service = gmail.service()
    box = gmail.sandbox.state.mailboxes[AGENT]
    for stored in box.messages.values():
        raw = service.users().messages().get(userId="me", id=stored.id, format="raw").execute()
        assert base64.urlsafe_b64decode(raw["raw"]) == stored.raw
        full = service.users().messages().get(userId="me", id=stored.id, format="full").execute()
        assert full["threadId"] == stored.thread_id
        assert set(full["labelIds"]) == stored.label_ids
        minimal = (
            service.users().messages().get(userId="me", id=stored.id, format="minimal").execute()
        )
        assert "payload" not in minimal
        assert "raw" not in minimal
    some = next(iter(box.messages.values()))
    meta = (
        service.users()
        .messages()
        .get(userId="me", id=some.id, format="metadata", metadataHeaders=["Subject"])
        .execute()
    )
    assert [h["name"] for h in meta["payload"]["headers"]] == ["Subject"]


def test_attachments_come_back_byte_for_byte(gmail: GmailRig) -> None:
    service = gmail.service()
    box = gmail.sandbox.state.mailboxes[AGENT]
    with_pdf = [m for m in box.messages.values() if m.truth.get("category") == "vendor"]
    assert with_pdf, "the seed has vendor invoices"
    message = with_pdf[0]
    full = service.users().messages().get(userId="me", id=message.id).execute()
    part = next(p for p in full["payload"]["parts"] if p["filename"].endswith(".pdf"))
    got = (
        service.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=message.id, id=part["body"]["attachmentId"])
        .execute()
    )
    expected = next(
        p.get_payload(decode=True) for p in parse_mime(message.raw).walk() if p.get_filename()
    )
    assert base64.urlsafe_b64decode(got["data"]) == expected


def test_modify_is_recorded_in_history_with_growing_ids(gmail: GmailRig) -> None:
    service = gmail.service()
    start = int(service.users().getProfile(userId="me").execute()["historyId"])
    target = list_all(service)[0]
    service.users().messages().modify(
        userId="me", id=target, body={"addLabelIds": ["STARRED"], "removeLabelIds": ["INBOX"]}
    ).execute()
    history = service.users().history().list(userId="me", startHistoryId=str(start)).execute()
    records = history["history"]
    assert {r.get("labelsAdded", [{}])[0].get("labelIds", [None])[0] for r in records} >= {
        "STARRED"
    }
    ids = [int(r["id"]) for r in records]
    assert ids == sorted(ids)
    assert ids[0] > start
    assert int(history["historyId"]) == ids[-1]
    only_added = (
        service.users()
        .history()
        .list(userId="me", startHistoryId=str(start), historyTypes=["labelRemoved"])
        .execute()
    )
    assert [r["labelsRemoved"][0]["labelIds"] for r in only_added["history"]] == [["INBOX"]]


def test_history_ids_are_not_contiguous_and_expire(gmail: GmailRig) -> None:
    service = gmail.service()
    box = gmail.sandbox.state.mailboxes[AGENT]
    ids = [record.id for record in box.history]
    assert any(b - a > 1 for a, b in itertools.pairwise(ids))
    old = ids[0]
    gmail.sandbox.apply_advance(GmailAdvance(new_messages=4, keep_history=2))
    with pytest.raises(HttpError) as caught:
        service.users().history().list(userId="me", startHistoryId=str(old)).execute()
    assert caught.value.resp.status == 404
    newest = box.history[-2].id
    fresh = service.users().history().list(userId="me", startHistoryId=str(newest)).execute()
    assert [int(r["id"]) for r in fresh["history"]] == [box.history[-1].id]


def test_history_pages_cover_every_record_once(gmail: GmailRig) -> None:
    service = gmail.service()
    box = gmail.sandbox.state.mailboxes[AGENT]
    start = box.oldest_valid_start
    seen: list[int] = []
    token = None
    while True:
        page = (
            service.users()
            .history()
            .list(userId="me", startHistoryId=str(start), maxResults=6, pageToken=token)
            .execute()
        )
        seen += [int(r["id"]) for r in page.get("history", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == [record.id for record in box.history]


def test_search_operators_select_what_the_seed_says(gmail: GmailRig) -> None:
    service = gmail.service()
    box = gmail.sandbox.state.mailboxes[AGENT]
    vendors = {
        m.id
        for m in box.messages.values()
        if m.truth.get("category") == "vendor" and "reply_to" not in m.truth
    }
    assert set(list_all(service, q="has:attachment")) == vendors
    spam = {m.id for m in box.messages.values() if "SPAM" in m.label_ids}
    assert set(list_all(service, q="in:spam")) == spam
    with pytest.raises(HttpError) as caught:
        list_all(service, q="bogus:thing")
    assert caught.value.resp.status == 400


def test_labels_list_and_create(gmail: GmailRig) -> None:
    service = gmail.service()
    made = service.users().labels().create(userId="me", body={"name": "Leads"}).execute()
    names = [
        label["name"] for label in service.users().labels().list(userId="me").execute()["labels"]
    ]
    assert "Leads" in names
    assert made["type"] == "user"
    with pytest.raises(HttpError) as caught:
        service.users().labels().create(userId="me", body={"name": "leads"}).execute()
    assert caught.value.resp.status == 409


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic c2FuZGJveA=="])
def test_a_bad_token_is_401_with_googles_body(gmail: GmailRig, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    answer = httpx.get(f"{gmail.base_url}/gmail/v1/users/me/profile", headers=headers)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (401, "UNAUTHENTICATED")
    assert error["errors"][0]["reason"] == "authError"


def test_a_token_for_one_mailbox_cannot_read_another(gmail: GmailRig) -> None:
    service = gmail.service("sandbox-gmail-token:leasing@wonderstreet.example")
    assert service.users().getProfile(userId="me").execute()["emailAddress"].startswith("leasing")
    with pytest.raises(HttpError) as caught:
        service.users().getProfile(userId=AGENT).execute()
    assert caught.value.resp.status == 403


def test_malformed_mail_is_served_in_every_format(gmail: GmailRig) -> None:
    service = gmail.service()
    for variant in MALFORMED:  # every kind, whatever the seed drew
        raw = f"From: x@mail.example\r\nTo: {AGENT}\r\n{variant}".encode("latin-1")
        gmail.sandbox.state.add_raw(AGENT, raw, {"INBOX"}, {"category": "malformed"})
    for address, box in gmail.sandbox.state.mailboxes.items():
        for message in box.messages.values():
            if message.truth.get("category") != "malformed":
                continue
            for fmt in ("full", "metadata", "minimal", "raw"):
                got = (
                    service.users()
                    .messages()
                    .get(userId=address, id=message.id, format=fmt)
                    .execute()
                )
                assert got["id"] == message.id


def test_the_same_seed_gives_the_same_mail() -> None:
    from wonder.sandbox.gmail.config import GmailSandboxConfig
    from wonder.sandbox.gmail.sandbox import GmailSandbox

    start = datetime(2026, 11, 1, tzinfo=UTC)
    config = GmailSandboxConfig(
        messages_per_mailbox=15, listings=20, frozen_clock=True, start_time=start
    )
    one, two = GmailSandbox(config), GmailSandbox(config)
    for address in config.mailboxes:
        a, b = one.state.mailboxes[address], two.state.mailboxes[address]
        assert {k: v.raw for k, v in a.messages.items()} == {
            k: v.raw for k, v in b.messages.items()
        }
