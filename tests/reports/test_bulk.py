"""Bulk handling is one rule (reports.services.reports_bulk_handle / each_changed), used by
the console's bulk action and both admins: each report is changed wholly or not at all, the
changed ones are counted, the others named by report ID with the reason."""

import pytest

from reports.models import ReportEvent, Status
from reports.services import (
    BulkResult,
    Dismissal,
    report_notes_edit,
    report_resolve,
    reports_bulk_handle,
)

pytestmark = pytest.mark.django_db


def test_a_report_edited_since_it_was_read_is_left_wholly_as_it_is(make_report, owner, teammate):
    first, stale = make_report(), make_report()
    report_notes_edit(report=stale, actor=teammate, notes="Looking into it.")  # `stale` is old now
    result = reports_bulk_handle(
        reports=[first, stale],
        actor=owner,
        status=Status.DISMISSED,
        note="Duplicate.",
        dismissal=Dismissal("not_reproducible"),
    )
    assert result.handled == [first.report_id]
    assert [report_id for report_id, _why in result.conflicts] == [stale.report_id]
    assert "changed by someone else" in result.conflicts[0][1]
    stale.refresh_from_db()
    assert (stale.status, stale.notes) == (Status.PENDING, "Looking into it.")
    assert not stale.events.filter(kind=ReportEvent.Kind.DISMISSED).exists()
    first.refresh_from_db()
    assert (first.status, first.notes) == (Status.DISMISSED, "Duplicate.")


def test_a_handled_report_is_named_with_who_handled_it(make_report, owner, teammate):
    report = make_report()
    report_resolve(report=report, actor=teammate)
    result = reports_bulk_handle(reports=[report], actor=owner, status=Status.RESOLVED)
    assert result.handled == []
    assert result.conflicts[0][0] == report.report_id
    assert f"already resolved by {teammate.username}" in result.conflicts[0][1]


def test_a_bulk_dismissal_without_a_reason_changes_nothing_and_says_why(make_report, owner):
    report = make_report()
    result = reports_bulk_handle(reports=[report], actor=owner, status=Status.DISMISSED)
    assert result.handled == [] and "Choose why" in result.conflicts[0][1]
    report.refresh_from_db()
    assert report.status == Status.PENDING


def test_the_summary_counts_and_names_at_most_ten():
    result = BulkResult(
        handled=["A1"],
        conflicts=[(f"R{n}", "This report was already resolved.") for n in range(12)],
    )
    handled, conflicts = result.summary(done="Resolved", noun="report")
    assert handled == "Resolved 1 report."
    assert conflicts.startswith("12 left as they were (R0: This report was already resolved.; ")
    assert "R9:" in conflicts and "R10:" not in conflicts
    assert conflicts.endswith("; and 2 more).")
    assert BulkResult(handled=["A", "B"]).summary(done="Dismissed", noun="report") == (
        "Dismissed 2 reports.",
        "",
    )
