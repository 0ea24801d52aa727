"""What the receiver and the drain are plugged with: sources, an event sink, handlers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    """An authenticated delivery, ready for the inbox."""

    source: str
    dedupe_key: str
    entity_key: str
    payload: dict[str, Any]
    mailbox: str | None = None
    history_id: int | None = None


class Rejected(Exception):
    """The delivery is refused; ``status`` is the HTTP answer, ``reason`` a short safe phrase
    (never a secret, a token or the signature)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class WebhookSource(Protocol):
    """One provider's endpoint: ``POST /webhooks/{name}``."""

    @property
    def name(self) -> str: ...

    async def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedEvent:
        """The event the delivery carries, or ``Rejected``."""
        ...


class EventSink(Protocol):
    """Announces a newly stored event (e.g. a Prefect event a deployment trigger acts on).
    Advisory: a failure is logged, the event stays in the inbox for the drain."""

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None: ...


class NullSink:
    """Announces nothing: the scheduled drain finds the events."""

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None:
        return None


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class EntityBatch:
    """Every claimed event of one entity: the handler processes the entity once."""

    source: str
    entity_key: str
    events: Sequence[InboxItem] = field(default_factory=tuple)


class InboxHandler(Protocol):
    """A source's processing. Writes through ``session`` and never commits: the drain commits
    the handler's writes and the events' DONE mark together. An exception fails the batch (it
    is retried, then dead-lettered with the exception as its reason)."""

    def handle(self, session: Session, batch: EntityBatch) -> None: ...


@runtime_checkable
class CountsWork(Protocol):
    """A handler that says what it did (records written, ...), for the drain's artifact."""

    def counts(self) -> Mapping[str, int]: ...
