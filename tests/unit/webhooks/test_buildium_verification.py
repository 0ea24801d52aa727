"""BuildiumSource.verify without a server: the window's exact edges, rotation, the one signing
computation shared with the sandbox, dedupe and entity keys."""

from __future__ import annotations

import asyncio

import pytest

from wonder.sandbox.webhooks.signing import buildium_signer
from wonder.webhooks.buildium import BuildiumSource, dedupe_key, entity_key
from wonder.webhooks.ports import Rejected

NOW = 1_790_000_000
BODY = (
    b'{"EventName":"Lease.Updated","EventDateTime":"2026-12-02T05:00:00Z",'
    b'"AccountId":1,"LeaseId":7}'
)


def verify(source: BuildiumSource, headers: dict[str, str], body: bytes = BODY):
    return asyncio.run(source.verify(headers, body))


def source(*secrets: str) -> BuildiumSource:
    return BuildiumSource(secrets or ("s1",), allowed_skew_seconds=300, clock=lambda: NOW)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_the_window_includes_its_edges(offset: int) -> None:
    event = verify(source(), dict(buildium_signer("s1")(BODY, NOW + offset)))
    assert event.entity_key == "lease.7"


@pytest.mark.parametrize("offset", [-301, 301, -10_000, 10_000])
def test_outside_the_window_is_401(offset: int) -> None:
    with pytest.raises(Rejected) as refused:
        verify(source(), dict(buildium_signer("s1")(BODY, NOW + offset)))
    assert refused.value.status == 401


def test_the_timestamp_is_signed_too() -> None:
    headers = dict(buildium_signer("s1")(BODY, NOW - 1000))
    headers["buildium-webhook-timestamp"] = str(NOW)  # fresh stamp, old signature
    with pytest.raises(Rejected) as refused:
        verify(source(), headers)
    assert refused.value.status == 401


def test_one_flipped_byte_is_401() -> None:
    headers = dict(buildium_signer("s1")(BODY, NOW))
    with pytest.raises(Rejected) as refused:
        verify(source(), headers, BODY.replace(b"7}", b"8}"))
    assert refused.value.status == 401


def test_either_rotation_secret_verifies_and_no_other() -> None:
    rotating = source("new", "old")
    assert verify(rotating, dict(buildium_signer("old")(BODY, NOW))).entity_key == "lease.7"
    assert verify(rotating, dict(buildium_signer("new")(BODY, NOW))).entity_key == "lease.7"
    with pytest.raises(Rejected):
        verify(rotating, dict(buildium_signer("older")(BODY, NOW)))


def test_no_secret_configured_refuses_everything() -> None:
    with pytest.raises(Rejected) as refused:
        verify(BuildiumSource([""], clock=lambda: NOW), dict(buildium_signer("")(BODY, NOW)))
    assert refused.value.status == 401


def test_keys() -> None:
    ids = {"AccountId": 1, "LeaseId": 7}
    assert dedupe_key("Lease.Updated", ids, "T") == "buildium:Lease.Updated:AccountId=1,LeaseId=7@T"
    assert dedupe_key("Lease.Updated", ids, "T") != dedupe_key("Lease.Created", ids, "T")
    assert entity_key("Lease.Updated", ids) == "lease.7"
    assert entity_key("LeaseTransaction.Created", {"AccountId": 1, "TransactionId": 55}) == (
        "leasetransaction.55"
    )
    assert entity_key("Rental.Updated", {"AccountId": 1, "PropertyId": 3}) == "rental.3"
    assert len(dedupe_key("X.Y", {f"K{n}Id": n for n in range(100)}, "T")) <= 255


def test_signatures_are_compared_in_constant_time_only() -> None:
    """A timing difference cannot be asserted reliably, so the source is read: the signature
    module compares with hmac.compare_digest and has no ==/!= at all."""
    import ast
    import inspect

    from wonder.webhooks import signatures

    tree = ast.parse(inspect.getsource(signatures))
    compares = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq | ast.Is) for op in node.ops)
    ]
    assert compares == []
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "hmac.compare_digest" in calls
