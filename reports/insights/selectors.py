"""Every figure of the insights page, read from the hourly rollups (one grouped query) and,
for the open backlog, one indexed aggregate of the reports (it is the present, not history)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.http import urlencode

from ..models import Category, DismissReason, InsightRollup, IssueType, MiniApp, Report, Status
from .rollups import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    DISMISS_REASON,
    DURATION,
    HANDLED,
    IN_TIME,
    PAST_DUE,
    RECEIVED_CATEGORY,
    RECEIVED_SOURCE,
    RECEIVED_TYPE,
    bucket_middle_seconds,
    hour_of,
)

TOP_ISSUE_TYPES = 10


@dataclass
class Chart:
    """One chart's data: the table (and CSV) rows, and what the SVG draws."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # For the SVG: bars/points computed by reports.insights.svg from these.
    series: list[dict] = field(default_factory=list)
    note: str = ""


@dataclass
class Insights:
    start: date
    end: date
    zone: tzinfo
    total_received: int
    in_time_share: float | None
    overturned_share: float | None
    charts: dict[str, Chart]

    @property
    def in_time_text(self) -> str:
        return "–" if self.in_time_share is None else f"{self.in_time_share:.0%}"

    @property
    def response_hours(self) -> int:
        return settings.REPORT_RESPONSE_HOURS

    @property
    def empty(self) -> bool:
        return self.total_received == 0 and not any(row[-1] for row in self.charts["backlog"].rows)


def period_bounds(start: date, end: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants of the local days' edges. Rollup hours are whole UTC hours, so in a
    half-hour zone an hour belongs to the local day in which it starts (days exact to 30 min)."""
    return (
        datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC),
    )


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())  # weeks start on Monday


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _percentile(histogram: dict[int, int], fraction: float) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = fraction * total, 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_middle_seconds(bucket)
    return None  # unreachable


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _list_url(mini_app: MiniApp, **params) -> str:
    base = reverse("reports:report_list", kwargs={"app_slug": mini_app.slug})
    return f"{base}?{urlencode({k: v for k, v in params.items() if v})}"


def insights_for_app(
    *, mini_app: MiniApp, start: date, end: date, zone: tzinfo, now: datetime
) -> Insights:
    begin, finish = period_bounds(start, end, zone)
    length = (end - start).days + 1
    previous_begin, _ = period_bounds(start - timedelta(days=length), end, zone)
    # The one read of the rollups: the period's figures by local day, and the previous
    # period's issue types (for their change).
    rows = (
        InsightRollup.objects.filter(mini_app=mini_app, hour__lt=finish)
        .filter(Q(hour__gte=begin) | Q(hour__gte=previous_begin, measure=RECEIVED_TYPE))
        .values("measure", "item", day=TruncDate("hour", tzinfo=zone))
        .annotate(total=Sum("n"))
        .values_list("measure", "item", "day", "total")
    )
    by_day: dict[str, dict[tuple[str, date], int]] = defaultdict(lambda: defaultdict(int))
    previous_types: dict[str, int] = defaultdict(int)
    for measure, item, day, total in rows:
        if day < start:
            previous_types[item] += total
        else:
            by_day[measure][(item, day)] += total
    days = _days(start, end)
    charts: dict[str, Chart] = {}

    # Received per day, stacked by category.
    categories = list(Category.choices)
    received = Chart(
        "received",
        "Reports received per day",
        ["Day", *[label for _, label in categories], "Total"],
    )
    for day in days:
        counts = [by_day[RECEIVED_CATEGORY].get((value, day), 0) for value, _ in categories]
        received.rows.append([day.isoformat(), *counts, sum(counts)])
        received.series.append(
            {
                "label": day.isoformat(),
                "parts": [
                    (
                        label,
                        n,
                        _list_url(
                            mini_app,
                            category=value,
                            reported_from=day.isoformat(),
                            reported_to=day.isoformat(),
                        ),
                    )
                    for (value, label), n in zip(categories, counts, strict=True)
                ],
            }
        )
    total_received = sum(row[-1] for row in received.rows)
    received.note = f"{total_received:,} reports in the period."
    charts["received"] = received

    # Top issue types, with their change from the previous period of the same length.
    type_totals: dict[str, int] = defaultdict(int)
    for (item, _day), n in by_day[RECEIVED_TYPE].items():
        type_totals[item] += n
    names = dict(IssueType.objects.filter(code__in=list(type_totals)).values_list("code", "name"))
    top = sorted(type_totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ISSUE_TYPES]
    issue_types = Chart(
        "issue-types", "Top issue types", ["Issue type", "Reports", "Previous period", "Change"]
    )
    for code, n in top:
        before = previous_types.get(code, 0)
        change = f"{(n - before) / before:+.0%}" if before else "new"
        name = names.get(code, code)
        issue_types.rows.append([name, n, before, change])
        url = _list_url(
            mini_app,
            issue_type=code,
            reported_from=start.isoformat(),
            reported_to=end.isoformat(),
        )
        issue_types.series.append({"label": name, "value": n, "url": url, "extra": change})
    charts["issue-types"] = issue_types

    # Handled within the response time, per week of receipt.
    hours = settings.REPORT_RESPONSE_HOURS
    weeks = sorted({_week_of(day) for day in days})
    weekly_received: dict[date, int] = defaultdict(int)
    weekly_in_time: dict[date, int] = defaultdict(int)
    for (_item, day), n in by_day[RECEIVED_CATEGORY].items():
        weekly_received[_week_of(day)] += n
    for (_item, day), n in by_day[IN_TIME].items():
        weekly_in_time[_week_of(day)] += n
    in_time = Chart(
        "in-time",
        f"Handled within {hours} hours, per week of receipt",
        ["Week of", "Received", f"Handled within {hours} h", "Share"],
    )
    for week in weeks:
        share = _share(weekly_in_time[week], weekly_received[week])
        in_time.rows.append(
            [
                max(week, start).isoformat(),
                weekly_received[week],
                weekly_in_time[week],
                "" if share is None else f"{share:.1%}",
            ]
        )
        in_time.series.append({"label": max(week, start).isoformat(), "values": [share]})
    in_time_share = _share(sum(weekly_in_time.values()), sum(weekly_received.values()))
    in_time.note = (
        f"Reports received less than {hours} hours ago may still be handled in time: "
        "the last days' share can still rise."
    )
    charts["in-time"] = in_time

    # Time to decision: median and 90th percentile per week of decision.
    histograms: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (item, day), n in by_day[DURATION].items():
        histograms[_week_of(day)][int(item)] += n
    durations = Chart(
        "time-to-decision",
        "Time to decision, per week (hours)",
        ["Week of", "Decisions", "Median (h)", "90th percentile (h)"],
    )
    for week in weeks:
        histogram = histograms[week]
        median, p90 = _percentile(histogram, 0.5), _percentile(histogram, 0.9)
        durations.rows.append(
            [
                max(week, start).isoformat(),
                sum(histogram.values()),
                "" if median is None else f"{median / 3600:.1f}",
                "" if p90 is None else f"{p90 / 3600:.1f}",
            ]
        )
        durations.series.append(
            {
                "label": max(week, start).isoformat(),
                "values": [
                    None if median is None else median / 3600,
                    None if p90 is None else p90 / 3600,
                ],
            }
        )
    durations.note = (
        "Read from a log-scale histogram: each figure is within about 9 % of the exact value."
    )
    charts["time-to-decision"] = durations

    charts["backlog"] = _backlog(mini_app=mini_app, now=now)

    past_due = Chart("past-due", "Marked past due, per day", ["Day", "Reports marked"])
    for day in days:
        n = by_day[PAST_DUE].get(("", day), 0)
        past_due.rows.append([day.isoformat(), n])
        past_due.series.append({"label": day.isoformat(), "parts": [("Marked past due", n, "")]})
    charts["past-due"] = past_due

    charts["dismiss-reasons"] = _totals_chart(
        "dismiss-reasons",
        "Dismiss reasons (reports dismissed in the period)",
        "Reason",
        by_day[DISMISS_REASON],
        {**dict(DismissReason.choices), "": "Dismissed on appeal (no reason)"},
    )
    status_labels = dict(Status.choices)
    handled = _totals_chart(
        "handled", "Decisions in the period", "Decision", by_day[HANDLED], status_labels
    )
    for entry in handled.series:
        entry["url"] = _list_url(mini_app, status=entry["item"])
    charts["handled"] = handled

    appeals_filed = sum(by_day[APPEAL_FILED].values())
    decided = _totals(by_day[APPEAL_DECIDED])
    overturned_share = _share(decided.get("overturned", 0), sum(decided.values()))
    appeals = Chart("appeals", "Appeals", ["Appeals", "Count"])
    for label, n in [
        ("Filed", appeals_filed),
        ("Upheld", decided.get("upheld", 0)),
        ("Overturned", decided.get("overturned", 0)),
    ]:
        appeals.rows.append([label, n])
        appeals.series.append({"label": label, "value": n, "url": "", "extra": ""})
    appeals.note = (
        "Share overturned: "
        + ("no appeal decided" if overturned_share is None else f"{overturned_share:.0%}")
        + " of the appeals decided in the period."
    )
    charts["appeals"] = appeals

    sources = _totals_chart(
        "sources",
        "Reports by source",
        "Source",
        by_day[RECEIVED_SOURCE],
        dict(Report.Source.choices),
    )
    for entry in sources.series:
        entry["url"] = _list_url(
            mini_app,
            source=entry["item"],
            reported_from=start.isoformat(),
            reported_to=end.isoformat(),
        )
    charts["sources"] = sources
    return Insights(
        start=start,
        end=end,
        zone=zone,
        total_received=total_received,
        in_time_share=in_time_share,
        overturned_share=overturned_share,
        charts=charts,
    )


def _totals(counts: dict[tuple[str, date], int]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for (item, _day), n in counts.items():
        totals[item] += n
    return totals


def _totals_chart(slug, title, column, counts, labels) -> Chart:
    chart = Chart(slug, title, [column, "Reports"])
    for item, n in sorted(_totals(counts).items(), key=lambda kv: (-kv[1], kv[0])):
        if not n:
            continue
        label = labels.get(item, item)
        chart.rows.append([label, n])
        chart.series.append({"label": label, "value": n, "url": "", "extra": "", "item": item})
    return chart


def _backlog(*, mini_app: MiniApp, now: datetime) -> Chart:
    """The open reports by age, now, from the rollups alone (no count of a large app's
    hundreds of thousands of open reports), to the hour (a report's age is its receipt
    hour's):

    - all open reports = all received - all currently handled (both kept exactly);
    - open reports received in an hour younger than the response time = received -
      in_time of that hour: such a report cannot have been marked past due yet, so each of
      them handled now is counted in in_time;
    - past due: the rest. A report is past due from its 72nd hour (due_at is always receipt
      + the response hours; a reopen keeps it); the receipt hour whose start is 72 hours ago
      or older counts as past due, so up to an hour of reports still in time may show there.
    """
    hours = settings.REPORT_RESPONSE_HOURS
    edges = [0, 24, 48, hours]
    ages = [(edges[i], edges[i + 1]) for i in range(3) if edges[i] < edges[i + 1] <= hours]
    current = hour_of(now)
    recent = InsightRollup.objects.filter(
        mini_app=mini_app,
        measure__in=[RECEIVED_SOURCE, IN_TIME],
        hour__gt=current - timedelta(hours=hours),
    ).values_list("hour", "measure", "n")
    by_age = [0] * len(ages)
    for hour, measure, n in recent:
        age = (current - hour) / timedelta(hours=1)
        index = next((i for i, (low, high) in enumerate(ages) if low <= age < high), None)
        if index is not None:  # a future hour (a clock skew) is no age
            by_age[index] += n if measure == RECEIVED_SOURCE else -n
    totals = dict(
        InsightRollup.objects.filter(mini_app=mini_app, measure__in=[RECEIVED_SOURCE, HANDLED])
        .values("measure")
        .annotate(total=Sum("n"))
        .values_list("measure", "total")
    )
    open_reports = (totals.get(RECEIVED_SOURCE) or 0) - (totals.get(HANDLED) or 0)
    late = max(open_reports - sum(by_age), 0)
    chart = Chart("backlog", "Open reports by age, now", ["Age", "Open reports"])
    for (low, high), n in zip(ages, by_age, strict=True):
        label = f"{low}–{high} h"
        chart.rows.append([label, n])
        chart.series.append({"label": label, "value": n, "url": "", "extra": ""})
    chart.rows.append(["Past due", late])
    chart.series.append(
        {
            "label": "Past due",
            "value": late,
            "url": _list_url(mini_app, status="past_due"),
            "extra": "",
        }
    )
    chart.note = "Ages to the hour of receipt."
    return chart
