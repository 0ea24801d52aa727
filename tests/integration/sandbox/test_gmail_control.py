"""The Gmail sandbox's control API: adding mail (raw, mbox, .eml, JSONL), truth, advance."""

from __future__ import annotations

import base64
import gzip
import mailbox
from email.message import EmailMessage
from pathlib import Path

import httpx
import orjson
import pytest

from tests.gmail_fixtures import GmailRig
from wonder.sandbox.gmail.resources import parse_mime

AGENT = "agent@wonderstreet.example"


def mail(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Someone <someone@mail.example>"
    message["To"] = AGENT
    message["Subject"] = subject
    message.set_content("hello")
    return bytes(message)


def test_raw_mail_added_over_http_is_listed_and_served(gmail: GmailRig) -> None:
    raw = mail("added over http")
    answer = httpx.post(
        f"{gmail.base_url}/_sandbox/gmail/messages",
        json={"mailbox": AGENT, "raw": base64.urlsafe_b64encode(raw).decode()},
    )
    assert answer.status_code == 200
    (added,) = answer.json()["added"]
    got = gmail.service().users().messages().get(userId="me", id=added, format="raw").execute()
    assert base64.urlsafe_b64decode(got["raw"]) == raw


def test_files_of_every_kind_load(gmail: GmailRig, tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    box.add(mail("from mbox 1"))
    box.add(mail("from mbox 2"))
    box.close()
    (tmp_path / "eml").mkdir()
    (tmp_path / "eml" / "one.eml").write_bytes(mail("from eml"))
    with gzip.open(tmp_path / "corpus.jsonl.gz", "wb") as lines:
        lines.write(orjson.dumps({"id": "a", "label": "spam", "raw": mail("j").decode()}) + b"\n")
        lines.write(orjson.dumps({"id": "b", "label": "ham", "text": "Subject: hi\nbody"}) + b"\n")
    counts = {}
    for name in ("inbox.mbox", "eml", "corpus.jsonl.gz"):
        answer = httpx.post(
            f"{gmail.base_url}/_sandbox/gmail/messages",
            json={"mailbox": AGENT, "path": str(tmp_path / name)},
        )
        counts[name] = len(answer.json()["added"])
    assert counts == {"inbox.mbox": 2, "eml": 1, "corpus.jsonl.gz": 2}
    truth = httpx.get(f"{gmail.base_url}/_sandbox/gmail/truth").json()[AGENT]
    assert sorted(t["label"] for t in truth.values() if "label" in t) == ["ham", "spam"]


def test_a_bad_control_body_is_a_400_that_names_the_problem(gmail: GmailRig) -> None:
    answer = httpx.post(f"{gmail.base_url}/_sandbox/gmail/messages", json={"mailbox": "nobody"})
    assert answer.status_code == 400
    assert "unknown mailbox" in answer.json()["error"]


def test_leads_name_listings_the_trestle_sandbox_serves(gmail: GmailRig) -> None:
    from wonder.sandbox.gmail.state import listing_facts

    config = gmail.sandbox.config
    facts = {fact.key: fact for fact in listing_facts(config.listing_seed, config.listings)}
    leads = [
        m
        for box in gmail.sandbox.state.mailboxes.values()
        for m in box.messages.values()
        if m.truth.get("category") == "lead" and "reply_to" not in m.truth
    ]
    assert leads
    for message in leads:
        fact = facts[message.truth["listing_key"]]
        subject = str(parse_mime(message.raw)["Subject"])
        named = (
            fact.mls_number
            if message.truth["named_by"] == "mls_number"
            else fact.address.split(",")[0]
        )
        assert named in subject


def test_advance_adds_mail_and_replies_in_threads(gmail: GmailRig) -> None:
    before = gmail.sandbox.stats()["mailboxes"][AGENT]["messages"]
    answer = httpx.post(
        f"{gmail.base_url}/_sandbox/advance", json={"seconds": 60, "new_messages": 4, "replies": 2}
    )
    assert answer.json()["new_messages"] == 4
    assert gmail.sandbox.stats()["mailboxes"][AGENT]["messages"] == before + 3
    box = gmail.sandbox.state.mailboxes[AGENT]
    replies = [m for m in box.messages.values() if "reply_to" in m.truth]
    for reply in replies:
        original = [m for m in box.messages.values() if m.thread_id == reply.thread_id]
        assert len(original) >= 2  # the reply shares its thread with what it answers


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"mailbox": AGENT, "raw": "%%%"}, "raw: not base64url"),
        ({"mailbox": AGENT, "bogus": 1}, "invalid AddMail"),
        ({"mailbox": AGENT, "path": "/no/such/file.mbox"}, "/no/such/file.mbox"),
    ],
)
def test_bad_control_requests_are_400s(
    gmail: GmailRig, body: dict[str, object], expected: str
) -> None:
    answer = httpx.post(f"{gmail.base_url}/_sandbox/gmail/messages", json=body)
    assert answer.status_code == 400
    assert expected in answer.json()["error"]


def test_a_control_path_takes_only_its_method(gmail: GmailRig) -> None:
    assert httpx.get(f"{gmail.base_url}/_sandbox/gmail/messages").status_code == 405
