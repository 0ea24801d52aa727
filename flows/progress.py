"""Progress of a long task as a Prefect progress artifact, updated at most every few seconds.

:class:`ProgressBar` is a ``progress`` callback for a service (it takes the service's
``ProgressEvent``: ``records`` read so far of ``expected``). The artifact is created at the first
event that knows its total and updated when ``min_interval_seconds`` have passed since the last
update (so a fast walk does not send a request per page), and set to 100 % by :meth:`finish`.
A retried task goes on with the same bar: an attempt counts from zero again, so the records of
earlier attempts are kept as an offset, and the total the first attempt learnt is kept too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact

log = logging.getLogger("wonder.flows")

MIN_INTERVAL_SECONDS = 2.0


class ProgressLike(Protocol):
    @property
    def records(self) -> int: ...

    @property
    def expected(self) -> int | None: ...


class ProgressBar:
    """A throttled progress artifact ``key`` (lowercase letters, digits and dashes)."""

    def __init__(
        self,
        key: str,
        description: str,
        *,
        min_interval_seconds: float = MIN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        create: Callable[..., Any] = create_progress_artifact,
        update: Callable[..., Any] = update_progress_artifact,
    ) -> None:
        self.key = key
        self.description = description
        self._interval = min_interval_seconds
        self._clock = clock
        self._create = create
        self._update = update
        self._id: UUID | None = None
        self._updated_at = 0.0
        self._expected: int | None = None
        self._offset = 0  # records read by earlier attempts
        self._last = 0  # records of the current attempt at the last event
        self.percent = 0.0

    def __call__(self, event: ProgressLike) -> None:
        if event.records < self._last:  # a new attempt counts from zero
            self._offset += self._last
        self._last = event.records
        if self._expected is None and event.expected:
            self._expected = event.expected + self._offset
        if not self._expected:
            return
        self.percent = min(100.0, 100.0 * (self._offset + event.records) / self._expected)
        now = self._clock()
        if self._id is None:
            self._id = self._safely(
                self._create, progress=self.percent, key=self.key, description=self.description
            )
            self._updated_at = now
        elif now - self._updated_at >= self._interval:
            self._safely(self._update, artifact_id=self._id, progress=self.percent)
            self._updated_at = now

    def finish(self) -> None:
        """The walk is done: show 100 % (only if a bar was shown)."""
        if self._id is not None and self.percent < 100.0:
            self.percent = 100.0
            self._safely(self._update, artifact_id=self._id, progress=100.0)

    def _safely(self, call: Callable[..., Any], **arguments: object) -> UUID | None:
        # A progress bar is advisory: a Prefect API hiccup must not fail the ingest.
        try:
            result = call(**arguments)
            return result if isinstance(result, UUID) else None
        except Exception:
            log.warning("could not update the progress artifact %s", self.key, exc_info=True)
            return None
