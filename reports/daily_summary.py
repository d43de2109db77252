"""The daily summary e-mail: one per developer per day of theirs, covering all their mini apps.

For each mini app: reports new in the last 24 hours, pending, past due, due within 12 hours,
and the share of yesterday's (their yesterday) handled reports that were handled within the
response promise, each figure linked to the User reports list filtered to exactly it.

Beat runs `daily_summaries_send` every 15 minutes; it sends to each developer whose chosen hour
has come in their timezone (MemberPreferences; no row: 08:00 UTC) and who has no summary for
their today yet. Once per day is the database's rule: the DailySummary row (unique per user and
local date) is inserted in the same transaction as the outbox row, so a retried task or two
concurrent runs find it there and skip, and a failed run leaves neither.

The figures cost a few queries per run whatever the team size: one aggregate over the reports
per distinct timezone among the recipients (their "yesterday" differs), never one per member.
"""

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .filters import StatusTab, status_tab_q
from .middleware import timezone_from_name
from .models import (
    DAILY_SUMMARY_DEFAULT_HOUR,
    DailySummary,
    MemberPreferences,
    Membership,
    MiniApp,
    Report,
)
from .outbox import email_enqueue
from .timeformat import api_time

NEW_WINDOW = timedelta(hours=24)
DUE_SOON_WINDOW = timedelta(hours=12)


@dataclass(frozen=True)
class Figure:
    count: int
    url: str


@dataclass(frozen=True)
class AppSummary:
    mini_app: MiniApp
    new: Figure
    pending: Figure
    past_due: Figure
    due_soon: Figure
    handled: Figure  # handled yesterday (the recipient's day)
    handled_in_time: int  # of those, handled by their deadline

    @property
    def in_time_percent(self) -> int | None:
        if not self.handled.count:
            return None
        return round(100 * self.handled_in_time / self.handled.count)


@dataclass(frozen=True)
class _Due:
    user_id: int
    zone_name: str
    local_date: date


def _zone(name: str | None) -> tzinfo:
    return timezone_from_name(name) or zoneinfo.ZoneInfo("UTC")


def daily_summaries_send(*, now: datetime | None = None) -> int:
    """Queue today's summary for every developer whose hour has come; returns how many."""
    now = (now or timezone.now()).replace(microsecond=0)  # whole seconds: the links carry them
    due = _members_due(now=now)
    if not due:
        return 0
    memberships = (
        Membership.objects.filter(user_id__in=[d.user_id for d in due])
        .select_related("mini_app", "user")
        .order_by("mini_app__name", "mini_app_id")
    )
    by_user: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        by_user[membership.user_id].append(membership)
    apps_by_zone: dict[str, dict[int, MiniApp]] = defaultdict(dict)
    for d in due:
        for membership in by_user[d.user_id]:
            apps_by_zone[d.zone_name][membership.mini_app_id] = membership.mini_app
    figures = {
        zone_name: app_summaries(mini_apps=list(apps.values()), now=now, zone=_zone(zone_name))
        for zone_name, apps in apps_by_zone.items()
    }
    queued = 0
    for d in due:
        members = by_user[d.user_id]
        if not members:
            continue  # left every mini app since the candidates were read
        summaries = [figures[d.zone_name][m.mini_app_id] for m in members]
        queued += daily_summary_queue(members=members, due=d, summaries=summaries, now=now)
    return queued


def _members_due(*, now: datetime) -> list[_Due]:
    """Active developers with an address and a mini app, summary on, whose hour has come in
    their timezone and who have no summary for their today yet."""
    rows = (
        get_user_model()
        .objects.filter(is_active=True, memberships__isnull=False)
        .exclude(email="")
        .exclude(member_preferences__daily_summary=False)
        .values_list(
            "pk", "member_preferences__timezone_name", "member_preferences__daily_summary_hour"
        )
        .distinct()
        .order_by("pk")
    )
    candidates = []
    for user_id, zone_name, hour in rows:
        zone_name = zone_name or "UTC"
        local = now.astimezone(_zone(zone_name))
        chosen = DAILY_SUMMARY_DEFAULT_HOUR if hour is None else hour
        if local.hour >= chosen:
            candidates.append(_Due(user_id, zone_name, local.date()))
    if not candidates:
        return []
    sent = set(
        DailySummary.objects.filter(
            user_id__in=[c.user_id for c in candidates],
            local_date__in={c.local_date for c in candidates},
        ).values_list("user_id", "local_date")
    )
    return [c for c in candidates if (c.user_id, c.local_date) not in sent]


def app_summaries(*, mini_apps: list[MiniApp], now: datetime, zone: tzinfo) -> dict:
    """Each mini app's figures at `now`, "yesterday" being the day before `now`'s date in
    `zone`: one aggregate query for all the apps. {mini_app_id: AppSummary}"""
    today = now.astimezone(zone).date()
    day_start = datetime.combine(today, time.min, tzinfo=zone)
    yesterday_start = datetime.combine(today - timedelta(days=1), time.min, tzinfo=zone)
    new_since = now - NEW_WINDOW
    due_before = now + DUE_SOON_WINDOW
    pending = status_tab_q(StatusTab.PENDING)
    conditions = {
        "new": Q(created_at__gte=new_since),
        "pending": pending,
        "past_due": status_tab_q(StatusTab.PAST_DUE),
        "due_soon": pending & Q(past_due_at__isnull=True, due_at__lt=due_before),
        "handled": Q(handled_at__gte=yesterday_start, handled_at__lt=day_start),
    }
    # In time as Insights counts it: never marked past due (reports/insights/rollups.py).
    conditions["handled_in_time"] = conditions["handled"] & Q(past_due_at__isnull=True)
    # Only the rows some figure counts: the pending ones, the new and yesterday's handled.
    any_figure = pending | conditions["new"] | conditions["handled"]
    counts = {
        row["mini_app_id"]: row
        for row in Report.objects.filter(any_figure, mini_app__in=mini_apps)
        .order_by()
        .values("mini_app_id")
        .annotate(**{name: Count("pk", filter=q) for name, q in conditions.items()})
    }
    params = {
        "new": {"created_after": api_time(new_since)},
        "pending": {"status": StatusTab.PENDING},
        "past_due": {"status": StatusTab.PAST_DUE},
        "due_soon": {
            "status": StatusTab.PENDING,
            "past_due": "false",
            "due_before": api_time(due_before),
            "ordering": "time_left",
        },
        "handled": {
            "handled_after": api_time(yesterday_start),
            "handled_before": api_time(day_start),
        },
    }
    summaries = {}
    for mini_app in mini_apps:
        row = counts.get(mini_app.pk, {})
        list_url = settings.SITE_URL + reverse(
            "reports:report_list", kwargs={"app_slug": mini_app.slug}
        )
        summaries[mini_app.pk] = AppSummary(
            mini_app=mini_app,
            **{
                name: Figure(row.get(name, 0), f"{list_url}?{urlencode(query)}")
                for name, query in params.items()
            },
            handled_in_time=row.get("handled_in_time", 0),
        )
    return summaries


def daily_summary_queue(
    *, members: list[Membership], due: _Due, summaries: list[AppSummary], now: datetime
) -> int:
    """Record and queue one developer's summary for their day: 1, or 0 if it exists already."""
    user, zone = members[0].user, _zone(due.zone_name)
    # The notifications page of any of their mini apps holds the summary's settings.
    preferences_path = reverse(
        "reports:notification_preferences", kwargs={"app_slug": members[0].mini_app.slug}
    )
    context = {
        "summaries": summaries,
        "local_date": due.local_date,
        "yesterday": due.local_date - timedelta(days=1),
        "zone_name": due.zone_name,
        "now": now,
        "hours": settings.REPORT_RESPONSE_HOURS,
        "due_soon_hours": int(DUE_SOON_WINDOW.total_seconds() // 3600),
        "preferences_url": settings.SITE_URL + preferences_path,
    }
    with timezone.override(zone):
        subject = render_to_string("reports/email/daily_summary_subject.txt", context)
        body = render_to_string("reports/email/daily_summary.txt", context)
        html_body = render_to_string("reports/email/daily_summary.html", context)
    with transaction.atomic():
        try:
            with transaction.atomic():
                summary = DailySummary.objects.create(
                    user=user, local_date=due.local_date, timezone_name=due.zone_name
                )
        except IntegrityError:
            return 0  # another run (or an earlier try of this one) sent today's already
        email = email_enqueue(
            to=user.email,
            subject=subject,
            body=body,
            html_body=html_body,
            dedupe_key=f"daily_summary:{user.pk}:{summary.local_date.isoformat()}",
        )
    return int(email is not None)


def member_preferences_for(*, user) -> MemberPreferences:
    """The developer's preferences, the defaults (unsaved) if they never changed them."""
    try:
        return user.member_preferences
    except MemberPreferences.DoesNotExist:
        return MemberPreferences(user=user)
