"""What every slice's run reports per resource, in the few numbers worth a column.

A slice's reports keep their own detailed counters; ``headline()`` reduces one to a
:class:`Headline` (read from the source, written to our tables, deleted) and a short note, so
the flows render every slice's runs the same narrow way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Headline:
    """One resource's run: records read from the source, rows written, rows deleted, a note."""

    read: int
    written: int
    deleted: int
    note: str = ""
