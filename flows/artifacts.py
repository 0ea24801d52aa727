"""A run's outcomes → a short markdown artifact and the flow's typed return value.

The artifact leads with a few lines of prose (what happened, the quarantine new versus still
open, requests and the quota left), then one narrow row per resource (read, written, deleted,
quarantined new / still open, requests, attempts) and a note per resource. Rendering is pure
(:func:`render_run_markdown`); every slice's flow uses it as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prefect.artifacts import create_markdown_artifact

from flows.steps import StepOutcome

COLUMNS = (
    "resource",
    "read",
    "written",
    "deleted",
    "quarantined new",
    "still open",
    "requests",
    "attempts",
)


@dataclass(frozen=True)
class RunSummary:
    """What a flow run returns: the totals a person (or a test) reads, in one readable repr."""

    name: str
    read: int
    written: int
    deleted: int
    quarantined_new: int
    quarantined_still_open: int
    requests: int
    # Unresolved quarantined records of every resource after the run (met this run or not).
    quarantine_open: int = 0
    failed: tuple[str, ...] = ()
    per_step: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        outcome = "failed: " + ", ".join(self.failed) if self.failed else "done"
        return (
            f"{self.name} {outcome}: {self.read} read, {self.written} written, "
            f"{self.deleted} deleted; quarantine {self.quarantined_new} new, "
            f"{self.quarantined_still_open} still open; {self.requests} requests"
        )


def summarize(
    name: str, outcomes: Sequence[StepOutcome], *, requests: int, quarantine_open: int = 0
) -> RunSummary:
    """Totals over the completed steps; ``requests``: what the client sent in the whole run;
    ``quarantine_open``: the unresolved quarantine after it."""
    reports = [o.report for o in outcomes if o.report is not None]
    headlines = [r.headline() for r in reports]
    return RunSummary(
        name=name,
        read=sum(h.read for h in headlines),
        written=sum(h.written for h in headlines),
        deleted=sum(h.deleted for h in headlines),
        quarantined_new=sum(o.quarantined_new for o in outcomes),
        quarantined_still_open=sum(o.quarantined_still_open for o in outcomes),
        requests=requests,
        quarantine_open=quarantine_open,
        failed=tuple(o.name for o in outcomes if not o.ok),
        per_step={o.name: o.report for o in outcomes},
    )


def describe_quota(quota: Any) -> str:
    """Quota headers as one line: what is left of each window and what the run left behind."""
    if quota is None:
        return "no quota headers seen"
    if isinstance(quota, str):  # a slice that counts its own quota says it in words
        return quota
    parts = []
    for window in ("minute", "hour"):
        limit = getattr(quota, f"{window}_limit", None)
        available = getattr(quota, f"{window}_available", None)
        if limit is not None and available is not None:
            parts.append(
                f"{window}: {available}/{limit} left ({limit - available} used in this window)"
            )
    reset_at = getattr(quota, "hour_reset_at", None)
    if reset_at is not None:
        parts.append(f"hour window resets at {reset_at.isoformat()}")
    return "; ".join(parts) or "no quota headers seen"


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def _row(outcome: StepOutcome) -> list[object]:
    quarantine = [outcome.quarantined_new, outcome.quarantined_still_open]
    if outcome.report is None:
        state = "skipped" if outcome.skipped else "failed"
        return [outcome.name, state, "", "", *quarantine, "", outcome.attempts or ""]
    headline = outcome.report.headline()
    return [
        f"{outcome.name} ({outcome.report.resource})",
        headline.read,
        headline.written,
        headline.deleted,
        *quarantine,
        outcome.report.requests,
        outcome.attempts,
    ]


def _notes(outcome: StepOutcome) -> str | None:
    if outcome.report is None:
        return f"- **{outcome.name}**: {outcome.error}"
    note = outcome.report.headline().note
    return f"- **{outcome.name}**: {note}" if note else None


def render_run_markdown(
    summary: RunSummary,
    outcomes: Sequence[StepOutcome],
    *,
    source: str,
    quota: Any,
    quarantine_hint: str = "",
) -> str:
    """The artifact: prose first, then the narrow table, then one note per resource."""
    if summary.failed:
        headline = f"**Failed**: {', '.join(summary.failed)} (see the notes and the run's logs)."
    else:
        headline = "**Completed**: every resource ran."
    lines = [
        f"# {summary.name}",
        f"{headline} {summary.read} records read from {source}, {summary.written} written, "
        f"{summary.deleted} deleted, in {summary.requests} {source} requests.",
        _quarantine_prose(summary, quarantine_hint),
        f"**Quota after the run:** {describe_quota(quota)}",
        "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS),
    ]
    lines[-1] += "".join("\n| " + " | ".join(_cell(v) for v in _row(o)) + " |" for o in outcomes)
    notes = [n for n in (_notes(o) for o in outcomes) if n]
    if notes:
        lines.append("\n".join(notes))
    return "\n\n".join(lines)


def _quarantine_prose(summary: RunSummary, hint: str) -> str:
    new, still, total = (
        summary.quarantined_new,
        summary.quarantined_still_open,
        summary.quarantine_open,
    )
    if not new and not still:
        text = "**Quarantine:** nothing quarantined in this run"
    else:
        text = f"**Quarantine:** {new} new record{'s' if new != 1 else ''}"
        text += " (reasons in the run's logs)" if new else ""
        if still:
            text += f"; {still} quarantined by an earlier run met again, still open"
    if total:
        text += f"; {total} unresolved in all"
    if total or new or still:
        text += f" — `{hint.format(resource='<resource>')}`" if hint else ""
    return text + "."


def publish_run_artifact(
    key: str,
    summary: RunSummary,
    outcomes: Sequence[StepOutcome],
    *,
    source: str,
    quota: Any,
    quarantine_hint: str = "",
) -> None:
    """Create the ``key`` markdown artifact (e.g. ``listings-incremental-report``)."""
    create_markdown_artifact(
        key=key,
        markdown=render_run_markdown(
            summary, outcomes, source=source, quota=quota, quarantine_hint=quarantine_hint
        ),
        description=f"{summary.name}: per resource read/written/deleted, quarantine, requests",
    )
