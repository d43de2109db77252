"""The hourly counts behind the insights page, and the one function that adds to them.

Every count is per mini app and UTC hour (InsightRollup). The services add to them in the
transaction of the change they count; `insights_rebuild` recomputes them from the reports and
their history with the same functions below, so the two can be compared. docs/INSIGHTS.md
defines each measure; in short:

- received_*: one per report, at the hour it was received (by category, issue type, source).
- handled (item: resolved/dismissed), duration (item: a histogram bucket) and dismiss_reason:
  the report's *current* decision, at the hour of its handled_at. A reopen takes the decision
  away; an overturn moves it to the new decision (stamped at the appeal's decision time).
- in_time: one per report currently handled and never marked past due, at the hour the report
  was *received* (so the weekly share is in_time / received of the same reports).
- past_due: one per mark, at the hour of the mark. appeal_filed, appeal_decided (item:
  upheld/overturned): one per appeal, at the hour it was filed or decided.
"""

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection

from ..models import InsightRollup, Status

RECEIVED_CATEGORY = "received_category"
RECEIVED_TYPE = "received_type"
RECEIVED_SOURCE = "received_source"
HANDLED = "handled"
IN_TIME = "in_time"
DURATION = "duration"
DISMISS_REASON = "dismiss_reason"
PAST_DUE = "past_due"
APPEAL_FILED = "appeal_filed"
APPEAL_DECIDED = "appeal_decided"

# (hour, measure, item) -> n
Counts = Counter


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment`."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# Decision durations, log scale: bucket 0 is under a minute; bucket b >= 1 holds
# [60 s * 2^((b-1)/4), 60 s * 2^(b/4)). Four buckets per doubling: a percentile read at a
# bucket's geometric middle is within a factor 2^(1/8) (about ±9 %) of the true value.
BUCKETS_PER_DOUBLING = 4
LAST_BUCKET = 80  # 60 s * 2^(79/4): about 2.6 years; anything longer lands here


def duration_bucket(seconds: float) -> int:
    if seconds < 60:
        return 0
    bucket = 1 + math.floor(BUCKETS_PER_DOUBLING * math.log2(seconds / 60))
    return min(bucket, LAST_BUCKET)


def bucket_middle_seconds(bucket: int) -> float:
    """The value a percentile falling in `bucket` is read as (its geometric middle)."""
    if bucket == 0:
        return 30.0
    return 60 * 2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING)


def received_counts(*, created_at: datetime, category: str, issue_type: str, source: str) -> Counts:
    hour = hour_of(created_at)
    return Counts(
        {
            (hour, RECEIVED_CATEGORY, category): 1,
            (hour, RECEIVED_TYPE, issue_type): 1,
            (hour, RECEIVED_SOURCE, source): 1,
        }
    )


def decision_counts(
    *,
    status: str,
    created_at: datetime,
    handled_at: datetime | None,
    dismiss_reason: str,
    past_due_at: datetime | None,
    sign: int = 1,
) -> Counts:
    """What a report's current decision counts (nothing while it is pending); `sign=-1`
    takes it away (a reopen, or the old decision of an overturn)."""
    if status not in (Status.RESOLVED, Status.DISMISSED) or handled_at is None:
        return Counts()
    hour = hour_of(handled_at)
    seconds = (handled_at - created_at).total_seconds()
    counts = Counts(
        {
            (hour, HANDLED, str(status)): sign,
            (hour, DURATION, str(duration_bucket(seconds))): sign,
        }
    )
    if status == Status.DISMISSED:
        counts[(hour, DISMISS_REASON, dismiss_reason)] += sign
    if past_due_at is None:
        counts[(hour_of(created_at), IN_TIME, "")] += sign
    return counts


def report_decision_counts(report, *, sign: int = 1) -> Counts:
    return decision_counts(
        status=report.status,
        created_at=report.created_at,
        handled_at=report.handled_at,
        dismiss_reason=report.dismiss_reason,
        past_due_at=report.past_due_at,
        sign=sign,
    )


def rollup_add(*, mini_app_id: int, counts: Counts | Iterable) -> None:
    """Add `counts` ({(hour, measure, item): n}) to the app's rollups: one upsert statement
    that adds to the stored figure, so concurrent transactions each add their own (the row
    lock of the conflicting row serialises them). Call it inside the change's transaction."""
    # Sorted, so two transactions lock the rows they share in the same order (no deadlock).
    rows = [
        (mini_app_id, connection.ops.adapt_datetimefield_value(hour), measure, item, n)
        for (hour, measure, item), n in sorted(Counts(counts).items())
        if n
    ]
    if not rows:
        return
    table = connection.ops.quote_name(InsightRollup._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (mini_app_id, hour, measure, item, n) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (mini_app_id, hour, measure, item) "
            f"DO UPDATE SET n = {table}.n + excluded.n",
            rows,
        )
