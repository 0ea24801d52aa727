import logging
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from tests.unit.clients.fakes import (
    SECRET,
    FakeClock,
    FakeTrestle,
    odata_error,
    page,
    truncated,
)
from wonder.clients.errors import (
    AuthError,
    ClientError,
    PermanentError,
    RateLimited,
    TransientError,
)
from wonder.clients.odata import ODataQuery
from wonder.clients.trestle import ODataPage, TrestleClient
from wonder.settings import TrestleSettings


@pytest.fixture
def settings():
    return TrestleSettings(
        base_url="http://trestle.test",
        client_secret=SecretStr(SECRET),
        max_retries=3,
        backoff_base_seconds=1.0,
        backoff_max_seconds=8.0,
        token_refresh_margin_seconds=300.0,
        page_size=2,
    )


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fake(settings):
    return FakeTrestle(settings)


@pytest.fixture
def client(settings, fake, clock):
    with TrestleClient(
        settings,
        transport=fake.transport(),
        clock=clock,
        sleep=clock.sleep,
        wall_clock=clock.wall,
        rng=random.Random(1),
    ) as c:
        yield c


def keys(pages: Iterable[ODataPage]) -> list[str]:
    return [r["ListingKey"] for p in pages for r in p.records]


# -- query building and paging -------------------------------------------------------------


def test_pages_builds_the_odata_query(client, fake):
    fake.script = [page([])]
    list(
        client.pages(
            "Property",
            ODataQuery(
                select=["ListingKey", "ModificationTimestamp"],
                filter="ModificationTimestamp gt 2026-01-31T12:00:00.000Z and City eq 'O''Hara'",
                orderby="ModificationTimestamp,ListingKey",
                top=500,
                skip=10,
                expand="Media",
                count=True,
            ),
            replication=True,
        )
    )
    url = fake.odata_requests[0].url
    assert url.path == "/trestle/odata/Property"
    assert dict(url.params) == {
        "$select": "ListingKey,ModificationTimestamp",
        "$filter": "ModificationTimestamp gt 2026-01-31T12:00:00.000Z and City eq 'O''Hara'",
        "$orderby": "ModificationTimestamp,ListingKey",
        "$top": "500",
        "$skip": "10",
        "$expand": "Media",
        "$count": "true",
        "replication": "true",
    }
    assert fake.odata_requests[0].headers["Authorization"] == "Bearer tok-1"


def test_top_defaults_to_page_size_and_only_asked_options_are_sent(client, fake):
    fake.script = [page([])]
    list(client.pages("Member"))
    assert dict(fake.odata_requests[0].url.params) == {"$top": "2"}


def test_follows_relative_and_absolute_next_links_through_the_empty_last_page(client, fake):
    fake.script = [
        page([{"ListingKey": "A"}, {"ListingKey": "B"}], "Property?$top=2&$skip=2", count=4),
        page(
            [{"ListingKey": "C"}, {"ListingKey": "D"}],
            "http://trestle.test/trestle/odata/Property?$top=2&$skip=4",
        ),
        page([]),
    ]
    pages = list(client.pages("Property", ODataQuery(count=True)))
    assert keys(pages) == ["A", "B", "C", "D"]
    assert pages[0].count == 4
    assert pages[1].count is None
    assert pages[-1] == ODataPage(records=[], next_link=None, count=None)
    assert [str(r.url) for r in fake.odata_requests[1:]] == [
        "http://trestle.test/trestle/odata/Property?$top=2&$skip=2",
        "http://trestle.test/trestle/odata/Property?$top=2&$skip=4",
    ]
    assert client.requests_made == 3


def test_stops_on_a_page_without_next_link(client, fake):
    fake.script = [page([{"ListingKey": "A"}])]
    assert keys(client.pages("Property")) == ["A"]
    assert client.requests_made == 1


def test_follow_next_links_false_fetches_one_page(client, fake):
    fake.script = [page([{"ListingKey": "A"}, {"ListingKey": "B"}], "Property?$skip=2")]
    pages = list(client.pages("Property", follow_next_links=False))
    assert len(pages) == 1
    assert pages[0].next_link == "Property?$skip=2"
    assert client.requests_made == 1


def test_resume_continues_from_a_stored_next_link(client, fake):
    fake.script = [page([{"ListingKey": "C"}], None)]
    assert keys(client.resume("/trestle/odata/Property?$skip=2&replication=true")) == ["C"]
    assert str(fake.odata_requests[0].url).endswith(
        "/trestle/odata/Property?$skip=2&replication=true"
    )


def test_next_link_to_another_host_is_refused(client, fake):
    fake.script = [page([{"ListingKey": "A"}], "http://evil.test/steal")]
    with pytest.raises(PermanentError, match=r"outside"):
        list(client.pages("Property"))
    assert client.requests_made == 1


def test_metadata_returns_edmx_and_retries_a_cut_document(client, fake):
    edmx = '<?xml version="1.0"?><edmx:Edmx Version="4.0"></edmx:Edmx>'
    fake.script = [httpx.Response(200, text=edmx[:30]), httpx.Response(200, text=edmx)]
    assert client.metadata() == edmx
    assert fake.odata_requests[0].url.path == "/trestle/odata/$metadata"
    assert client.requests_made == 2


# -- token ---------------------------------------------------------------------------------


def test_token_is_fetched_once_and_cached(client, fake, settings):
    fake.script = [page([]), page([])]
    list(client.pages("Property"))
    list(client.pages("Property"))
    assert len(fake.token_requests) == 1
    form = fake.token_requests[0].content.decode()
    assert "grant_type=client_credentials" in form
    assert "scope=api" in form
    assert fake.token_requests[0].url == "http://trestle.test/trestle/oidc/connect/token"
    assert client.requests_made == 2  # token requests are not OData requests


def test_token_is_refreshed_margin_seconds_before_expiry(client, fake, clock):
    fake.ttl = 3600
    list(client.pages("Property"))
    clock.now += 3600 - 300 - 1
    list(client.pages("Property"))
    assert len(fake.token_requests) == 1
    clock.now += 1
    list(client.pages("Property"))
    assert len(fake.token_requests) == 2
    assert fake.odata_requests[-1].headers["Authorization"] == "Bearer tok-2"


def test_short_lived_token_is_used_for_half_its_life(client, fake, clock):
    fake.ttl = 10  # shorter than the 300 s margin
    list(client.pages("Property"))
    clock.now += 4
    list(client.pages("Property"))
    assert len(fake.token_requests) == 1
    clock.now += 1
    list(client.pages("Property"))
    assert len(fake.token_requests) == 2


def test_a_401_drops_the_token_and_retries_once(client, fake):
    list(client.pages("Property"))
    fake.revoked.add("tok-1")
    fake.script = [page([{"ListingKey": "A"}])]
    assert keys(client.pages("Property")) == ["A"]
    assert len(fake.token_requests) == 2
    assert client.requests_made == 3  # first walk, the 401, the retry


def test_a_second_401_is_an_auth_error(client, fake):
    fake.script = [odata_error(401, "401", "nope"), odata_error(401, "401", "still no")]
    with pytest.raises(AuthError, match="401"):
        list(client.pages("Property"))
    assert len(fake.token_requests) == 2
    assert client.requests_made == 2


@pytest.mark.parametrize("status", [400, 401])
def test_token_endpoint_rejection_is_an_auth_error_without_retry(client, fake, clock, status):
    fake.token_script = [httpx.Response(status, json={"error": "invalid_client"})]
    with pytest.raises(AuthError, match="invalid_client") as info:
        list(client.pages("Property"))
    assert SECRET not in str(info.value)
    assert len(fake.token_requests) == 1
    assert client.requests_made == 0
    assert clock.sleeps == []


def test_wrong_secret_is_an_auth_error(fake, clock, settings):
    bad = settings.model_copy(update={"client_secret": SecretStr("wrong-secret")})
    with (
        TrestleClient(bad, transport=fake.transport(), clock=clock, sleep=clock.sleep) as c,
        pytest.raises(AuthError) as info,
    ):
        c.metadata()
    assert "wrong-secret" not in str(info.value)
    assert "sandbox-client" in str(info.value)


def test_token_endpoint_outage_is_retried(client, fake, clock):
    fake.token_script = [
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.Response(200, content=b'{"access_tok'),
    ]
    fake.script = [page([{"ListingKey": "A"}])]
    assert keys(client.pages("Property")) == ["A"]
    assert len(fake.token_requests) == 4
    assert len(clock.sleeps) == 3


# -- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        lambda: odata_error(500, "500", "boom"),
        lambda: httpx.Response(502),
        lambda: odata_error(503, "503", "unavailable"),
        lambda: odata_error(504, "504", "query too slow"),
        lambda: odata_error(429, "429", "quota"),
        lambda: httpx.RemoteProtocolError("Server disconnected without sending a response."),
        lambda: httpx.ReadTimeout("timed out"),
        truncated,
        lambda: httpx.Response(200, json={"unexpected": True}),
    ],
    ids=["500", "502", "503", "504", "429", "dropped", "timeout", "truncated", "not-a-page"],
)
def test_retryable_failures_are_retried_then_succeed(client, fake, clock, failure):
    fake.script = [failure(), failure(), page([{"ListingKey": "A"}])]
    assert keys(client.pages("Property")) == ["A"]
    assert client.requests_made == 3
    assert len(clock.sleeps) == 2
    assert 0.5 <= clock.sleeps[0] <= 1.0
    assert 1.0 <= clock.sleeps[1] <= 2.0  # exponential + jitter


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (lambda: odata_error(503, "503", "unavailable"), TransientError),
        (lambda: httpx.RemoteProtocolError("peer closed connection"), TransientError),
        (truncated, TransientError),
        (lambda: odata_error(429, "429", "quota"), RateLimited),
    ],
    ids=["503", "dropped", "truncated", "429"],
)
def test_gives_up_after_max_retries_with_the_right_error(client, fake, clock, failure, error):
    fake.default = lambda _request: _respond(failure())
    with pytest.raises(error) as info:
        list(client.pages("Property"))
    assert client.requests_made == 4  # 1 + max_retries
    assert len(clock.sleeps) == 3
    assert "4 attempts" in str(info.value)


def _respond(outcome: httpx.Response | Exception) -> httpx.Response:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def test_retry_after_is_honoured_on_429(client, fake, clock):
    fake.script = [odata_error(429, "429", "quota", headers={"Retry-After": "7"}), page([])]
    list(client.pages("Property"))
    assert clock.sleeps == [7.0]


def test_retry_after_longer_than_the_maximum_raises_rate_limited(client, fake, clock):
    fake.script = [odata_error(429, "429", "quota", headers={"Retry-After": "3600"})]
    with pytest.raises(RateLimited) as info:
        list(client.pages("Property"))
    assert info.value.retry_after == 3600.0
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404])
def test_client_errors_are_permanent_and_never_retried(client, fake, clock, status):
    fake.script = [odata_error(status, "InvalidQuery", "Could not find a property named 'Foo'")]
    with pytest.raises(PermanentError) as info:
        list(client.pages("Property", ODataQuery(select=["Foo"])))
    assert info.value.status == status
    assert info.value.code == "InvalidQuery"
    assert "Could not find a property named 'Foo'" in str(info.value)
    assert client.requests_made == 1
    assert clock.sleeps == []


def test_permanent_error_without_odata_body_uses_the_reason(client, fake):
    fake.script = [httpx.Response(404, text="not here")]
    with pytest.raises(PermanentError, match="Not Found") as info:
        list(client.pages("Nope"))
    assert info.value.code is None


def test_error_hierarchy():
    for cls in (AuthError, RateLimited, TransientError, PermanentError):
        assert issubclass(cls, ClientError)


# -- pacing --------------------------------------------------------------------------------


def quota_headers(minute: int, hour: int = 5000, reset: datetime | None = None) -> dict[str, str]:
    headers = {
        "Minute-Quota-Limit": "180",
        "Minute-Quota-Available": str(minute),
        "Hour-Quota-Limit": "7200",
        "Hour-Quota-Available": str(hour),
    }
    if reset is not None:
        headers["Hour-Quota-ResetTime"] = str(int(reset.timestamp() * 1000))
    return headers


def test_quota_snapshot_is_exposed(client, fake):
    assert client.quota is None
    fake.script = [page([], headers=quota_headers(150, 7000))]
    list(client.pages("Property"))
    assert client.quota is not None
    assert (client.quota.minute_available, client.quota.hour_available) == (150, 7000)


def test_waits_for_the_minute_window_when_quota_reaches_the_reserve(client, fake, clock):
    def answer(minute: int) -> Callable[[httpx.Request], httpx.Response]:
        def respond(_request: httpx.Request) -> httpx.Response:
            clock.now += 5  # each request takes 5 s
            return page(
                [{"ListingKey": str(minute)}],
                f"Property?$skip={minute}",  # a link that moves (a repeated one ends the walk)
                headers=quota_headers(minute),
            )

        return respond

    fake.script = [answer(4), answer(3), answer(2), answer(179), page([])]
    list(client.pages("Property"))
    # the window began with the first request at t=1000; after the third answer (t=1015) the
    # minute quota sits at the reserve (2), so the client waits until t=1060
    assert clock.sleeps == [45.0]
    assert client.quota_wait_seconds == 45.0
    assert client.requests_made == 5


def test_waits_for_hour_reset_within_maximum(client, fake, clock):
    reset = datetime.fromtimestamp(clock.wall(), tz=UTC) + timedelta(seconds=90)
    fake.script = [
        page([{"ListingKey": "A"}], "Property?$skip=1", headers=quota_headers(100, 0, reset)),
        page([]),
    ]
    list(client.pages("Property"))
    assert clock.sleeps == [90.0]


def test_hour_exhaustion_beyond_maximum_raises_rate_limited_without_sleeping(client, fake, clock):
    reset = datetime.fromtimestamp(clock.wall(), tz=UTC) + timedelta(minutes=45)
    fake.script = [
        page([{"ListingKey": "A"}], "Property?$skip=1", headers=quota_headers(100, 0, reset)),
    ]
    pages = client.pages("Property")
    assert keys([next(pages)]) == ["A"]
    with pytest.raises(RateLimited) as info:
        next(pages)
    assert info.value.retry_after == pytest.approx(2700.0)
    assert clock.sleeps == []
    assert client.requests_made == 1


def test_429_with_spent_minute_quota_waits_for_the_window_not_the_backoff(client, fake, clock):
    fake.script = [
        page([{"ListingKey": "A"}], "Property?$skip=1", headers=quota_headers(50)),
        odata_error(429, "429", "quota", headers=quota_headers(0)),
        page([]),
    ]
    clock_start = clock.now
    list(client.pages("Property"))
    assert clock.sleeps == [60.0]  # one full window from the first request (nothing else waited)
    assert clock.now == clock_start + 60.0


# -- secrets -------------------------------------------------------------------------------


def test_no_secret_or_token_in_logs_or_errors(settings, fake, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="wonder.clients")
    messages = []
    with TrestleClient(
        settings, transport=fake.transport(), clock=clock, sleep=clock.sleep, rng=random.Random(0)
    ) as c:
        fake.script = [
            odata_error(503, "503", f"echo {SECRET}"),
            page([{"ListingKey": "A"}], "Property?$skip=1"),
            odata_error(400, "400", f"bad token tok-1 and {SECRET}"),
        ]
        with pytest.raises(PermanentError) as info:
            list(c.pages("Property"))
        messages.append(str(info.value))
        fake.token_script = [
            httpx.Response(400, json={"error": "invalid_client", "error_description": SECRET})
        ]
        fake.revoked.add("tok-1")
        with pytest.raises(AuthError) as auth:
            list(c.pages("Property"))
        messages.append(str(auth.value))
        messages.append(repr(c))
    assert caplog.records, "expected one DEBUG line per request"
    text = "\n".join(messages + [r.getMessage() for r in caplog.records])
    assert SECRET not in text
    assert "tok-1" not in text
    assert "GET /trestle/odata/Property?$top=2 -> 503" in text
    assert "POST /trestle/oidc/connect/token -> 200" in text


def test_persistent_429_gives_up_with_the_window_wait_as_retry_after(client, fake, clock):
    fake.default = lambda _request: odata_error(429, "429", "quota", headers=quota_headers(0))
    with pytest.raises(RateLimited) as info:
        list(client.pages("Property"))
    assert info.value.retry_after == 60.0
    assert client.requests_made == 4
    assert clock.sleeps == [60.0, 60.0, 60.0]
