"""Run outcomes → the report artifact and the summary (pure: no Prefect server needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.artifacts import describe_quota, render_run_markdown, summarize
from flows.steps import StepOutcome
from wonder.clients.trestle import QuotaSnapshot
from wonder.ingest.quarantine import QuarantineNote, QuarantineTally
from wonder.listings.report import CensusReport, IngestReport, MediaRefreshReport

QUOTA = QuotaSnapshot(
    minute_limit=180,
    minute_available=170,
    hour_limit=7200,
    hour_available=7000,
    hour_reset_at=datetime(2026, 1, 1, 12, tzinfo=UTC),
)
HINT = "wonder listings quarantine list --resource {resource}"


def _outcomes() -> list[StepOutcome]:
    bad = QuarantineNote("Property", "L9", "ListPrice: expected a number")
    return [
        StepOutcome(
            "listings",
            IngestReport(
                "Property",
                "incremental",
                fetched=60,
                inserted=50,
                updated=8,
                unchanged=1,
                deleted=1,
                requests=3,
            ),
            {"Property": QuarantineTally("Property", new=1, still_open=2, new_records=(bad,))},
            attempts=2,
        ),
        StepOutcome(
            "media refresh",
            MediaRefreshReport(
                "Media",
                "incremental",
                pending=4,
                fetched=12,
                refreshed=3,
                refetch_pending=1,
                requests=1,
            ),
            attempts=1,
        ),
        StepOutcome("members", error="TransientError: Trestle gave up: 503", attempts=3),
        StepOutcome("offices", error="skipped", skipped=True),
    ]


def test_the_summary_totals_completed_resources_and_names_the_failed() -> None:
    summary = summarize("listings-incremental", _outcomes(), requests=9, quarantine_open=3)
    assert (summary.read, summary.written, summary.deleted) == (72, 61, 1)
    assert (summary.quarantined_new, summary.quarantined_still_open) == (1, 2)
    assert summary.failed == ("members", "offices")
    assert repr(summary) == (
        "RunSummary(name='listings-incremental', read=72, written=61, deleted=1,"
        " quarantined_new=1, quarantined_still_open=2, requests=9,"
        " quarantine_open=3, failed=('members', 'offices'))"
    )
    assert str(summary).startswith("listings-incremental failed: members, offices: 72 read")


def test_the_artifact_is_prose_then_a_narrow_table_then_notes() -> None:
    outcomes = _outcomes()
    summary = summarize("listings-incremental", outcomes, requests=9, quarantine_open=3)
    markdown = render_run_markdown(
        summary, outcomes, source="Trestle", quota=QUOTA, quarantine_hint=HINT
    )
    lines = markdown.splitlines()
    assert lines[0] == "# listings-incremental"
    assert "**Failed**: members, offices" in markdown
    assert "72 records read from Trestle, 61 written, 1 deleted, in 9 Trestle requests" in markdown
    assert (
        "**Quarantine:** 1 new record (reasons in the run's logs); 2 quarantined by an earlier"
        " run met again, still open; 3 unresolved in all"
        " — `wonder listings quarantine list --resource <resource>`." in markdown
    )
    table = [line for line in lines if line.startswith("|")]
    assert all(line.count("|") == 9 for line in table)  # 8 columns, whatever the resource
    assert "| listings (Property) | 60 | 58 | 1 | 1 | 2 | 3 | 2 |" in table
    assert "| media refresh (Media) | 12 | 3 | 0 | 0 | 0 | 1 | 1 |" in table
    assert "| members | failed |  |  | 0 | 0 |  | 3 |" in table
    assert "- **members**: TransientError: Trestle gave up: 503" in markdown
    assert "- **listings**: 1 unchanged" in markdown
    assert "minute: 170/180 left (10 used in this window)" in markdown


def test_a_clean_census_run() -> None:
    report = CensusReport(
        "Property", source_keys=10, stored_keys=11, missing=1, deleted=1, requests=1
    )
    outcomes = [StepOutcome("census", report, attempts=1)]
    summary = summarize("listings-census", outcomes, requests=1)
    markdown = render_run_markdown(summary, outcomes, source="Trestle", quota=None)
    assert "**Completed**" in markdown
    assert "nothing quarantined in this run" in markdown
    assert "| census (Property) | 10 | 0 | 1 | 0 | 0 | 1 | 1 |" in markdown
    assert "no quota headers seen" in markdown
    assert describe_quota(None) == "no quota headers seen"
