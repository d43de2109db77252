"""Bulk handling from the console: each report goes through the same service functions as the

panel, so every one gets its own history lines and its own stale-version check.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser

from .models import Report
from .services import Dismissal, ReportConflict, report_dismiss, report_resolve

BULK_LIMIT = 500  # one request stays short; the developer repeats for more


@dataclass
class BulkResult:
    handled: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def note_appended(notes: str, note: str) -> str:
    """A bulk note is added below the existing notes, never over them."""
    return f"{notes}\n\n{note}" if notes else note


def reports_bulk_handle(
    *,
    reports: list[Report],
    actor: AbstractBaseUser,
    action: str,
    note: str = "",
    dismissal: Dismissal | None = None,
) -> BulkResult:
    service = {"resolve": report_resolve, "dismiss": report_dismiss}[action]
    reason = {"dismissal": dismissal} if action == "dismiss" else {}
    result = BulkResult()
    for report in reports:
        if report.is_handled:
            result.skipped.append(report.report_id)
            continue
        try:
            service(
                report=report,
                actor=actor,
                notes=note_appended(report.notes, note) if note else None,
                expected_version=report.version,
                **reason,
            )
        except ReportConflict:
            # Someone handled or edited it since the page was loaded: leave it to them.
            result.skipped.append(report.report_id)
        else:
            result.handled.append(report.report_id)
    return result
