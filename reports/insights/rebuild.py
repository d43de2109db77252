"""Recompute an app's rollups from the reports and their history, and compare or replace.

The same functions the services add with (rollups.received_counts, decision_counts) count
here, so a difference means a change that bypassed the services, a deleted report (the
rollups keep counting it), or a bug.
"""

from django.db import transaction

from ..models import InsightRollup, Report, ReportEvent
from .rollups import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    PAST_DUE,
    Counts,
    decision_counts,
    hour_of,
    received_counts,
)

# The appeals' own history rows (written by appeals.services through the reports' history):
# the rebuild reads them, so reports never imports appeals.
_APPEAL_EVENTS = {
    ReportEvent.Kind.APPEAL_SUBMITTED: (APPEAL_FILED, ""),
    ReportEvent.Kind.APPEAL_UPHELD: (APPEAL_DECIDED, "upheld"),
    ReportEvent.Kind.APPEAL_OVERTURNED: (APPEAL_DECIDED, "overturned"),
}


def report_counts(
    created_at, category, issue_type, source, status, handled_at, reason, past_due
) -> Counts:
    """All a report counts, from its columns (its appeals aside: those are events)."""
    counts = received_counts(
        created_at=created_at, category=category, issue_type=issue_type, source=source
    )
    counts.update(
        decision_counts(
            status=status,
            created_at=created_at,
            handled_at=handled_at,
            dismiss_reason=reason,
            past_due_at=past_due,
        )
    )
    if past_due is not None:
        counts[(hour_of(past_due), PAST_DUE, "")] += 1
    return counts


def rollups_computed(*, mini_app_id: int) -> Counts:
    counts = Counts()
    rows = Report.objects.filter(mini_app_id=mini_app_id).values_list(
        "created_at",
        "category",
        "issue_type_id",
        "source",
        "status",
        "handled_at",
        "dismiss_reason",
        "past_due_at",
    )
    for row in rows.iterator(chunk_size=5000):
        counts.update(report_counts(*row))
    events = ReportEvent.objects.filter(
        report__mini_app_id=mini_app_id, kind__in=list(_APPEAL_EVENTS)
    ).values_list("kind", "created_at")
    for kind, created_at in events.iterator(chunk_size=5000):
        measure, item = _APPEAL_EVENTS[kind]
        counts[(hour_of(created_at), measure, item)] += 1
    return +counts  # without the zeros


def rollups_stored(*, mini_app_id: int) -> Counts:
    rows = InsightRollup.objects.filter(mini_app_id=mini_app_id).exclude(n=0)
    return Counts(
        {(hour_of(h), m, i): n for h, m, i, n in rows.values_list("hour", "measure", "item", "n")}
    )


def rollups_differences(*, stored: Counts, computed: Counts) -> list[tuple]:
    """(hour, measure, item, stored, computed) for every figure that differs, in order."""
    keys = sorted(set(stored) | set(computed))
    return [
        (*key, stored.get(key, 0), computed.get(key, 0))
        for key in keys
        if stored.get(key, 0) != computed.get(key, 0)
    ]


@transaction.atomic
def rollups_replace(*, mini_app_id: int, computed: Counts) -> None:
    InsightRollup.objects.filter(mini_app_id=mini_app_id).delete()
    InsightRollup.objects.bulk_create(
        (
            InsightRollup(mini_app_id=mini_app_id, hour=hour, measure=measure, item=item, n=n)
            for (hour, measure, item), n in computed.items()
        ),
        batch_size=2000,
    )
