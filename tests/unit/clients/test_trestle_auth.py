"""TrestleAuth as an ``httpx.Auth``, driven step by step (no transport), and the client's hooks."""

import random
from collections.abc import Generator, Mapping

import httpx
import pytest
from pydantic import SecretStr

from tests.unit.clients.fakes import SECRET, FakeClock, FakeTrestle, page
from wonder.clients.errors import AuthError
from wonder.clients.odata import ODataQuery
from wonder.clients.retry import BackoffPolicy, RetryableError, RetryLoop
from wonder.clients.trestle import TrestleClient
from wonder.clients.trestle.auth import TrestleAuth
from wonder.settings import TrestleSettings

TOKEN_URL = httpx.URL("http://trestle.test/trestle/oidc/connect/token")
Flow = Generator[httpx.Request, httpx.Response, None]


@pytest.fixture
def settings():
    return TrestleSettings(
        base_url="http://trestle.test",
        client_secret=SecretStr(SECRET),
        token_refresh_margin_seconds=300.0,
    )


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def auth(settings, clock):
    retry = RetryLoop(service="Trestle", backoff=BackoffPolicy(1, 8, 3), wall_clock=clock.wall)
    return TrestleAuth(settings, token_url=TOKEN_URL, clock=clock, retry=retry)


def token(value: str, ttl: int = 3600) -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "expires_in": ttl})


def start(auth: TrestleAuth) -> tuple[Flow, httpx.Request]:
    flow = auth.sync_auth_flow(httpx.Request("GET", "http://trestle.test/trestle/odata/Member"))
    return flow, next(flow)


def test_first_request_fetches_a_token_then_sends_the_bearer(auth):
    flow, first = start(auth)
    assert (first.method, first.url) == ("POST", TOKEN_URL)
    assert b"grant_type=client_credentials" in first.content
    request = flow.send(token("tok-A"))
    assert request.headers["Authorization"] == "Bearer tok-A"
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200))


def test_cached_until_the_refresh_margin(auth, clock):
    flow, _ = start(auth)
    flow.send(token("tok-A", ttl=3600))
    clock.now += 3600 - 300 - 1
    _, request = start(auth)
    assert request.headers["Authorization"] == "Bearer tok-A"
    clock.now += 1
    _, request = start(auth)
    assert request.url == TOKEN_URL


def test_a_401_drops_the_token_and_retries_once_then_gives_the_answer_back(auth):
    flow, _ = start(auth)
    flow.send(token("tok-A"))
    refetch = flow.send(httpx.Response(401))
    assert refetch.url == TOKEN_URL
    retried = flow.send(token("tok-B"))
    assert retried.headers["Authorization"] == "Bearer tok-B"
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(401))  # no third try: the client turns it into AuthError


def test_token_endpoint_answers(auth):
    flow, _ = start(auth)
    with pytest.raises(RetryableError, match="503 on the token request"):
        flow.send(httpx.Response(503))
    flow, _ = start(auth)
    with pytest.raises(RetryableError, match="truncated or invalid token response"):
        flow.send(httpx.Response(200, content=b'{"access_tok'))
    flow, _ = start(auth)
    with pytest.raises(AuthError, match="invalid_client") as info:
        flow.send(
            httpx.Response(400, json={"error": "invalid_client", "error_description": SECRET})
        )
    assert SECRET not in str(info.value)


def test_repr_and_redaction_hide_the_secret_and_token(auth):
    flow, _ = start(auth)
    flow.send(token("tok-A"))
    assert SECRET not in repr(auth)
    assert "tok-A" not in repr(auth)
    assert auth.redact(f"echo {SECRET} and tok-A") == "echo *** and ***"


# -- the client's governor hooks -------------------------------------------------------------


class CountingGovernor:
    def __init__(self) -> None:
        self.acquired = 0
        self.observed: list[str | None] = []

    def acquire(self, cost: float = 1) -> None:
        self.acquired += 1

    def pending(self, cost: float = 1) -> float:
        return 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        self.observed.append(headers.get("X-Mark"))


def test_a_shared_governor_is_acquired_for_every_odata_request_but_not_the_token(settings, clock):
    fake = FakeTrestle(settings)
    governor = CountingGovernor()
    with TrestleClient(
        settings,
        transport=fake.transport(),
        clock=clock,
        sleep=clock.sleep,
        wall_clock=clock.wall,
        rng=random.Random(0),
        governor=governor,
    ) as client:
        fake.script = [page([], headers={"X-Mark": "1"})]
        list(client.pages("Member", ODataQuery(top=1)))
        fake.revoked.add("tok-1")  # the next request gets a 401, then goes again
        fake.script = [page([], headers={"X-Mark": "2"})]
        list(client.pages("Member", ODataQuery(top=1)))
    assert len(fake.token_requests) == 2
    assert governor.acquired == client.requests_made == 3
    assert governor.observed == ["1", None, "2"]
