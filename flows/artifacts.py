"""Run reports → a Prefect markdown artifact (counts, requests to the source, quota).

Rendering is pure (``render_report_markdown``) and reads any dataclass report generically, so a
new counter in the service's reports shows up in the artifact without touching this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from prefect.artifacts import create_markdown_artifact

Scalar = str | int | float | bool | None

# Identifiers and timings are reported, but never summed.
_NOT_SUMMED = frozenset({"held_delete_id", "duration_seconds"})


class RequestCounter(Protocol):
    """What the artifact needs from the client: its request count and last quota headers."""

    @property
    def requests_made(self) -> int: ...

    @property
    def quota(self) -> Any: ...


def report_fields(report: object) -> dict[str, Any]:
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    return dict(vars(report))


def report_row(report: object) -> dict[str, Scalar]:
    """The scalar fields of one report (lists and nested objects such as the quota are left out)."""
    row: dict[str, Scalar] = {}
    for name, value in report_fields(report).items():
        if isinstance(value, float):
            row[name] = round(value, 2)
        elif isinstance(value, datetime | date):
            row[name] = value.isoformat()
        elif value is None or isinstance(value, str | int | bool):
            row[name] = value
    return row


def totals(reports: Sequence[object]) -> dict[str, int]:
    """Integer counters summed over the reports (e.g. Property + Member + Office)."""
    summed: dict[str, int] = {}
    for report in reports:
        for name, value in report_row(report).items():
            if isinstance(value, int) and not isinstance(value, bool) and name not in _NOT_SUMMED:
                summed[name] = summed.get(name, 0) + value
    return summed


def describe_quota(quota: Any) -> str:
    """Quota headers as one line: what is left of each window and what the run left behind."""
    if quota is None:
        return "no quota headers seen"
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


def _cell(value: Scalar) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


def markdown_table(rows: Sequence[Mapping[str, Scalar]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(name for name in row if name not in columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def render_report_markdown(
    title: str, reports: Sequence[object], *, requests: int, quota: Any, source: str
) -> str:
    rows = [report_row(report) for report in reports]
    return "\n\n".join(
        [
            f"# {title}",
            markdown_table(rows) if rows else "_no reports_",
            f"**{source} requests this run:** {requests}",
            f"**Quota after the run:** {describe_quota(quota)}",
        ]
    )


def publish_report_artifact(
    name: str, reports: Sequence[object], client: RequestCounter, *, source: str
) -> dict[str, Any]:
    """Create the ``<name>-report`` markdown artifact; return the run's summary (totals).

    ``source`` names the service the client talks to ("Trestle", "Buildium", ...).
    """
    summary: dict[str, Any] = {**totals(reports), "requests": client.requests_made}
    create_markdown_artifact(
        key=f"{name}-report",
        markdown=render_report_markdown(
            name, reports, requests=client.requests_made, quota=client.quota, source=source
        ),
        description=f"{name}: counts per resource, {source} requests and quota",
    )
    return summary
