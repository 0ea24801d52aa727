"""Pure helpers of the gRPC platform: bearer parsing, open methods, outage classification."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from grpc_server.auth import bearer_token, is_open_method
from grpc_server.interceptors.errors import is_database_outage


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ((("authorization", "Bearer ws_abc"),), "ws_abc"),
        ((("authorization", "bearer   ws_abc  "),), "ws_abc"),
        ((("x-other", "1"), ("authorization", b"Bearer ws_abc")), "ws_abc"),
        ((("authorization", "Basic abc"),), None),
        ((("authorization", "Bearer "),), None),
        ((), None),
        (None, None),
    ],
)
def test_bearer_token(metadata: object, expected: str | None) -> None:
    assert bearer_token(metadata) == expected  # type: ignore[arg-type]


def test_only_health_and_reflection_are_open() -> None:
    assert is_open_method("/grpc.health.v1.Health/Check")
    assert is_open_method("/grpc.health.v1.Health/Watch")
    assert is_open_method("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    assert not is_open_method("/wonder.v1.ListingService/GetListing")
    assert not is_open_method("/grpc.health.v1.HealthX/Check")


def _dbapi(invalidated: bool) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, Exception("boom"), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
        sa_exc.InterfaceError("SELECT 1", {}, Exception("closed")),
        _dbapi(invalidated=True),
        ConnectionRefusedError(),
        TimeoutError(),  # asyncio.TimeoutError since Python 3.11
        sa_exc.TimeoutError(),
    ],
    ids=["operational", "interface", "invalidated", "refused", "timeout", "pool-timeout"],
)
def test_database_outages(error: BaseException) -> None:
    assert is_database_outage(error)


def test_outage_found_in_the_cause_chain() -> None:
    outer = RuntimeError("wrapped")
    outer.__cause__ = ConnectionRefusedError()
    assert is_database_outage(outer)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        KeyError("k"),
        _dbapi(invalidated=False),
        sa_exc.IntegrityError("", {}, Exception()),
    ],
)
def test_bugs_are_not_outages(error: BaseException) -> None:
    assert not is_database_outage(error)
