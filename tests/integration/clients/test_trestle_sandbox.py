"""The Trestle client against the sandbox over real HTTP (loopback, port 0).

The client's clocks are the sandbox clock and its ``sleep`` moves that clock forward, so quota
windows, token expiry and backoff all play out without real waiting.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from tests.trestle_fixtures import RunningTrestle
from wonder.clients.errors import AuthError, PermanentError, RateLimited
from wonder.clients.odata import ODataQuery, keyset_filter
from wonder.clients.trestle import ODataPage, TrestleClient
from wonder.timestamps import parse_timestamp

KEY_FIELDS = ["ListingKey", "ModificationTimestamp"]


class MonotonicStub:
    """A client clock that never moves (the client believes its token is always fresh)."""

    def __call__(self) -> float:
        return 0.0


def client_for(
    running: RunningTrestle,
    *,
    clock: Callable[[], float] | None = None,
    **settings: Any,
) -> TrestleClient:
    sandbox_clock = running.sandbox.clock
    tuned = running.settings.model_copy(
        update={"backoff_base_seconds": 0.05, "backoff_max_seconds": 2.0, **settings}
    )

    def sleep(seconds: float) -> None:
        sandbox_clock.advance(seconds)

    return TrestleClient(
        tuned,
        clock=clock or sandbox_clock.now_seconds,
        wall_clock=sandbox_clock.now_seconds,
        sleep=sleep,
        rng=random.Random(3),
    )


def keys_of(pages: list[ODataPage]) -> list[str]:
    return [record["ListingKey"] for page in pages for record in page.records]


def stat(running: RunningTrestle, key: str) -> int:
    requests: dict[str, int] = running.sandbox.stats()["requests"]
    return requests.get(key, 0)


def test_full_walk_follows_next_links_through_the_empty_last_page(
    trestle_sandbox: RunningTrestle,
) -> None:
    truth = sorted(trestle_sandbox.sandbox.truth())
    with client_for(trestle_sandbox) as client:
        pages = list(
            client.pages(
                "Property", ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=20, count=True)
            )
        )
    assert keys_of(pages) == truth
    assert pages[0].count == len(truth)
    full_pages = len(truth) // 20
    expected = math.ceil(len(truth) / 20) + (1 if len(truth) % 20 == 0 else 0)
    assert len(pages) == expected
    assert client.requests_made == expected
    if len(truth) % 20 == 0:
        assert pages[full_pages].records == []
    assert client.quota is not None
    assert client.quota.minute_limit == 18_000


def test_replication_walk_and_resume_from_a_stored_next_link(
    trestle_sandbox: RunningTrestle,
) -> None:
    truth = sorted(trestle_sandbox.sandbox.truth())
    with client_for(trestle_sandbox) as client:
        first = next(
            iter(
                client.pages(
                    "Property",
                    ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=25),
                    replication=True,
                    follow_next_links=False,
                )
            )
        )
        assert first.next_link is not None
        rest = list(client.resume(first.next_link))
    assert keys_of([first, *rest]) == truth
    assert rest[-1].next_link is None


def test_keyset_paging_never_skips_rows_sharing_a_timestamp(
    trestle_sandbox: RunningTrestle,
) -> None:
    running = trestle_sandbox
    before = running.sandbox.clock.now()
    touched = running.sandbox.advance(seconds=60, price_changes=25, same_timestamp=True)
    expected = sorted(set(touched.price_changes))
    seen: list[str] = []
    position: tuple[Any, str] | None = None
    with client_for(running) as client:
        while True:
            filter_ = keyset_filter(
                "ModificationTimestamp",
                "ListingKey",
                position[0] if position else None,
                position[1] if position else None,
                since_inclusive=before,
            )
            page = next(
                iter(
                    client.pages(
                        "Property",
                        ODataQuery(
                            select=KEY_FIELDS,
                            filter=filter_,
                            orderby="ModificationTimestamp,ListingKey",
                            top=7,
                        ),
                        follow_next_links=False,
                    )
                )
            )
            if not page.records:
                break
            seen.extend(r["ListingKey"] for r in page.records)
            last = page.records[-1]
            position = (parse_timestamp(last["ModificationTimestamp"]), last["ListingKey"])
    assert sorted(seen) == expected
    assert len(seen) == len(set(seen))


def test_expired_token_is_replaced_after_one_401(make_trestle_sandbox: Any) -> None:
    running = make_trestle_sandbox(token_ttl_seconds=600)
    with client_for(running, clock=MonotonicStub()) as client:
        list(client.pages("Member", ODataQuery(top=5), follow_next_links=False))
        running.sandbox.advance(seconds=601)
        pages = list(client.pages("Member", ODataQuery(top=5), follow_next_links=False))
    assert pages[0].records
    assert stat(running, "POST /trestle/oidc/connect/token 200") == 2
    assert stat(running, "GET /trestle/odata/Member 401") == 1
    assert client.requests_made == 3


def test_token_is_refreshed_before_it_expires(make_trestle_sandbox: Any) -> None:
    running = make_trestle_sandbox(token_ttl_seconds=600)
    with client_for(running, token_refresh_margin_seconds=120) as client:
        list(client.pages("Office", ODataQuery(top=5), follow_next_links=False))
        running.sandbox.advance(seconds=500)  # past ttl - margin, before expiry
        list(client.pages("Office", ODataQuery(top=5), follow_next_links=False))
    assert stat(running, "POST /trestle/oidc/connect/token 200") == 2
    assert stat(running, "GET /trestle/odata/Office 401") == 0


def test_bad_credentials_are_an_auth_error_without_the_secret(
    trestle_sandbox: RunningTrestle,
) -> None:
    with (
        client_for(trestle_sandbox, client_secret=SecretStr("not-the-secret")) as client,
        pytest.raises(AuthError) as info,
    ):
        client.metadata()
    assert "invalid_client" in str(info.value)
    assert "not-the-secret" not in str(info.value)
    assert stat(trestle_sandbox, "POST /trestle/oidc/connect/token 400") == 1


def test_metadata_needs_the_token_and_returns_edmx(trestle_sandbox: RunningTrestle) -> None:
    with client_for(trestle_sandbox) as client:
        edmx = client.metadata()
    assert "<edmx:Edmx" in edmx
    assert 'Name="Property"' in edmx


def test_unknown_field_and_unknown_resource_are_permanent(
    trestle_sandbox: RunningTrestle,
) -> None:
    with client_for(trestle_sandbox) as client:
        with pytest.raises(PermanentError) as bad_field:
            list(client.pages("Property", ODataQuery(select=["NoSuchField"])))
        with pytest.raises(PermanentError) as bad_resource:
            list(client.pages("NoSuchResource"))
    assert bad_field.value.status == 400
    assert "NoSuchField" in str(bad_field.value)
    assert bad_resource.value.status == 404
    assert bad_resource.value.code == "NotFound"
    assert client.requests_made == 2


def test_pacing_keeps_a_small_minute_quota_without_a_single_429(
    make_trestle_sandbox: Any,
) -> None:
    running = make_trestle_sandbox(minute_quota=5, frozen_clock=True)
    truth = sorted(running.sandbox.truth())
    with client_for(running, quota_reserve=0) as client:
        pages = list(
            client.pages("Property", ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=5))
        )
    assert keys_of(pages) == truth
    assert stat(running, "GET /trestle/odata/Property 429") == 0
    assert client.quota_wait_seconds >= 60 * ((len(pages) - 1) // 5)


def test_429_after_another_consumer_spends_the_quota_is_waited_out(
    make_trestle_sandbox: Any,
) -> None:
    running = make_trestle_sandbox(minute_quota=5, frozen_clock=True)
    truth = sorted(running.sandbox.truth())
    with (
        client_for(running, quota_reserve=0) as client,
        client_for(running, quota_reserve=0) as other,
    ):
        walk = iter(
            client.pages("Property", ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=30))
        )
        pages = [next(walk)]
        for _ in range(4):  # same connection: spends the rest of this minute's quota
            list(other.pages("Office", ODataQuery(top=1), follow_next_links=False))
        pages.extend(walk)
    assert keys_of(pages) == truth
    assert stat(running, "GET /trestle/odata/Property 429") == 1
    assert client.quota_wait_seconds == 60


def test_spent_hour_quota_raises_rate_limited_instead_of_sleeping(
    make_trestle_sandbox: Any,
) -> None:
    running = make_trestle_sandbox(hour_quota=3, frozen_clock=True)
    with client_for(running) as client:
        walk = client.pages("Property", ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=5))
        with pytest.raises(RateLimited) as info:
            list(walk)
    assert client.requests_made == 3
    assert info.value.retry_after == pytest.approx(3600, abs=1)
    assert stat(running, "GET /trestle/odata/Property 429") == 0


@pytest.mark.parametrize("replication", [False, True], ids=["standard", "replication"])
def test_walk_survives_errors_drops_and_truncated_bodies(
    trestle_sandbox: RunningTrestle, replication: bool
) -> None:
    running = trestle_sandbox
    truth = sorted(running.sandbox.truth())
    running.sandbox.set_faults(error_rate=0.2, drop_rate=0.1, truncate_rate=0.2)
    with client_for(running, max_retries=12) as client:
        pages = list(
            client.pages(
                "Property",
                ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=6),
                replication=replication,
            )
        )
    assert keys_of(pages) == truth
    injected = running.sandbox.stats()["faults_injected"]
    assert injected.get("drop", 0) > 0
    assert injected.get("truncate", 0) > 0
    assert sum(v for k, v in injected.items() if k.startswith("error_")) > 0
    assert client.requests_made > len(pages)


def test_burst_of_429s_is_retried(trestle_sandbox: RunningTrestle) -> None:
    running = trestle_sandbox
    truth = sorted(running.sandbox.truth())
    with client_for(running) as client:
        # token + quota headers
        list(client.pages("Office", ODataQuery(top=1), follow_next_links=False))
        running.sandbox.set_faults(burst_429=3)
        pages = list(
            client.pages("Property", ODataQuery(select=KEY_FIELDS, orderby="ListingKey", top=30))
        )
    assert keys_of(pages) == truth
    assert stat(running, "GET /trestle/odata/Property 429") == 3
    assert client.requests_made == 1 + len(pages) + 3
