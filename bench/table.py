"""Result rows and the side-by-side table printer: plain text (terminal) and Markdown (docs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One figure with the reference it was measured against in the same run."""

    metric: str
    measured: str
    reference: str = "—"
    ratio: str = "—"
    goal: str = "—"
    # Whether the goal is met: True / False, None when there is no goal to judge.
    met: bool | None = None


HEADERS = ("metric", "measured", "reference", "ratio", "goal", "")


def verdict(met: bool | None) -> str:
    if met is None:
        return ""
    return "ok" if met else "MISSED"


def _cells(row: Row) -> tuple[str, ...]:
    return (row.metric, row.measured, row.reference, row.ratio, row.goal, verdict(row.met))


def render_text(title: str, rows: Sequence[Row]) -> str:
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]

    def line(cells: Sequence[str]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    rule = "-+-".join("-" * width for width in widths)
    body = [line(HEADERS), rule, *(line(_cells(row)) for row in rows)]
    return "\n".join([title, "=" * len(title), *body])


def render_markdown(title: str, rows: Sequence[Row]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    body = [line(HEADERS), line(["---"] * len(HEADERS)), *(line(_cells(row)) for row in rows)]
    return "\n".join([f"### {title}", "", *body])


def ratio(measured: float, reference: float) -> float:
    return measured / reference if reference else float("nan")


def fmt_rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}"
