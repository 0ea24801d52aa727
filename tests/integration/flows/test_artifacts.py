"""Report → artifact rendering (pure: no Prefect server needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.artifacts import describe_quota, render_report_markdown, totals
from wonder.clients.trestle import QuotaSnapshot
from wonder.listings.report import CensusReport, IngestReport

QUOTA = QuotaSnapshot(
    minute_limit=180,
    minute_available=170,
    hour_limit=7200,
    hour_available=7000,
    hour_reset_at=datetime(2026, 1, 1, 12, tzinfo=UTC),
)


def test_totals_sum_counters_across_resources_but_not_ids_or_timings() -> None:
    reports = [
        IngestReport(
            "Property", "incremental", pages=2, inserted=3, requests=2, duration_seconds=1.5
        ),
        IngestReport("Member", "incremental", pages=1, inserted=1, requests=1, held_delete_id=7),
    ]
    summed = totals(reports)
    assert summed["pages"] == 3
    assert summed["inserted"] == 4
    assert "held_delete_id" not in summed
    assert "duration_seconds" not in summed


def test_markdown_has_one_row_per_report_the_requests_and_the_quota() -> None:
    reports = [
        IngestReport("Property", "first_load", fetched=60, inserted=58, quarantined=2, quota=QUOTA),
        IngestReport("Office|HQ", "first_load", fetched=2, inserted=2),
    ]
    markdown = render_report_markdown(
        "listings-first-load", reports, requests=5, quota=QUOTA, source="Trestle"
    )
    assert markdown.startswith("# listings-first-load")
    assert "| Property | first_load | 0 | 60 | 58 |" in markdown
    assert "| Office\\|HQ |" in markdown  # a pipe in a value cannot break the table
    assert "**Trestle requests this run:** 5" in markdown
    assert "minute: 170/180 left (10 used in this window)" in markdown
    assert "hour window resets at 2026-01-01T12:00:00+00:00" in markdown


def test_census_reports_render_their_own_columns() -> None:
    report = CensusReport("Property", source_keys=10, stored_keys=11, missing=1, deleted=1)
    markdown = render_report_markdown(
        "listings-census", [report], requests=1, quota=None, source="Trestle"
    )
    assert "| resource | pages | source_keys | stored_keys | missing | deleted |" in markdown
    assert "no quota headers seen" in markdown
    assert describe_quota(None) == "no quota headers seen"
