"""Progress artifacts: created once the total is known, updated at most every 2 s, kept across
a task's retries, finished at 100 %, never failing the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from flows.progress import ProgressBar


@dataclass(frozen=True)
class Event:
    records: int
    expected: int | None


class FakeArtifacts:
    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[tuple[str, float]] = []
        self.id = uuid4()

    def create(self, *, progress: float, key: str, description: str) -> UUID:
        self.calls.append(("create", progress))
        return self.id

    def update(self, *, artifact_id: UUID, progress: float) -> UUID:
        assert artifact_id == self.id
        self.calls.append(("update", progress))
        return self.id

    def bar(self, **options: Any) -> ProgressBar:
        return ProgressBar(
            "listings-first-load-listings-progress",
            "records read",
            clock=lambda: self.now,
            create=self.create,
            update=self.update,
            **options,
        )


def test_updates_are_throttled_to_one_every_two_seconds() -> None:
    api = FakeArtifacts()
    bar = api.bar()
    for page in range(1, 11):  # ten pages within 1.8 s, then one 2 s after the first
        api.now = 0.2 * (page - 1)
        bar(Event(records=100 * page, expected=2000))
    api.now = 2.0
    bar(Event(records=1100, expected=2000))
    bar.finish()
    assert api.calls == [("create", 5.0), ("update", 55.0), ("update", 100.0)]


def test_no_artifact_without_a_total() -> None:
    api = FakeArtifacts()
    bar = api.bar()
    bar(Event(records=10, expected=None))
    bar.finish()
    assert api.calls == []


def test_a_retried_attempt_continues_the_same_bar() -> None:
    api = FakeArtifacts()
    bar = api.bar(min_interval_seconds=0)
    bar(Event(records=300, expected=1000))
    bar(Event(records=400, expected=1000))  # the attempt fails here; the retry resumes
    bar(Event(records=100, expected=None))  # a resumed walk does not know the total
    assert api.calls[-1] == ("update", 50.0)


def test_an_api_failure_never_fails_the_walk() -> None:
    def broken(**_: Any) -> UUID:
        raise ConnectionError("Prefect API down")

    bar = ProgressBar("k", "d", create=broken, update=broken)
    bar(Event(records=1, expected=2))
    bar.finish()
