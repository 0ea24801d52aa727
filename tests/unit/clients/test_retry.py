import random
from datetime import UTC, datetime

from wonder.clients.retry import BackoffPolicy, parse_retry_after


def test_backoff_grows_exponentially_within_jitter_bounds_and_caps():
    policy = BackoffPolicy(base_seconds=0.5, max_seconds=4.0, max_retries=6)
    rng = random.Random(7)
    for attempt, step in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0), (5000, 4.0)]:
        for _ in range(20):
            delay = policy.delay(attempt, rng)
            assert step / 2 <= delay <= step


def test_parse_retry_after_seconds_and_http_date():
    now = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("-3", now=now) == 0.0
    assert parse_retry_after("Sat, 31 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon", now=now) is None
