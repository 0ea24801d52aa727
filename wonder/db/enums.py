"""The values string columns may hold, as StrEnums (pure: importable without SQLAlchemy).

Columns declare them with ``wonder.db.types.str_enum``; the models re-export them.
"""

from __future__ import annotations

from enum import StrEnum


class HistoryField(StrEnum):
    """What a listing history entry records a change of."""

    LIST_PRICE = "list_price"
    STANDARD_STATUS = "standard_status"


class ChangeKind(StrEnum):
    """What happened to a listing, in the change feed."""

    UPSERT = "upsert"
    DELETE = "delete"


class HeldDeleteStatus(StrEnum):
    """A held delete waits (HELD) until an operator applies or rejects it."""

    HELD = "held"
    APPLIED = "applied"
    REJECTED = "rejected"


class InboxStatus(StrEnum):
    """A webhook inbox event: PENDING until a drain claims it (PROCESSING), then DONE, or DEAD
    once it failed ``max_attempts`` times (a dead letter, replayable)."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    DEAD = "dead"
