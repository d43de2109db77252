"""Reminder e-mails to a mini app's developers: the past-due digest.

A digest run first claims its reports (stamps `past_due_notified_at` with the run's time), then
queues one e-mail per opted-in member per mini app in the durable outbox, all in one
transaction. So a report is listed in one digest, ever: a retried or redelivered task finds its
reports claimed and queues nothing, a failed run claims nothing, and the outbox's dedupe key
refuses a second copy of the same e-mail. (Reports due soon are in the daily summary e-mail,
reports/daily_summary.py, which replaced the separate due-soon digest.)

The assignee first (issue 15): each member's past-due digest opens with the reports of the
run that are assigned to them ("Assigned to you", also in the subject), before the rest of the
app's; a member with none assigned gets the app's shared digest. See docs/CONSOLE.md.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import MemberPreferences, Membership, MiniApp, Report, Status
from .outbox import email_enqueue

# Marks older than this are not announced any more (e.g. after the workers were down a week).
PAST_DUE_LOOKBACK = timedelta(days=7)
# A digest lists this many reports and links to the console for the rest.
DIGEST_LIST_LIMIT = 50


@dataclass(frozen=True)
class _Digest:
    key: str  # dedupe-key prefix and template name
    notified_field: str  # the Report field that records the notice
    preference: str  # the Membership flag that opts a developer in
    assignee_first: bool = False  # each assignee's own reports open their e-mail


PAST_DUE = _Digest("past_due", "past_due_notified_at", "email_past_due", assignee_first=True)


def reminders_past_due_send(*, now: datetime | None = None) -> int:
    """E-mail each mini app's opted-in members about its reports newly marked past due.

    Returns the number of e-mails queued. Reports handled before the digest goes are left out.
    """
    now = now or timezone.now()
    candidates = Report.objects.filter(
        status=Status.PENDING, past_due_at__gte=now - PAST_DUE_LOOKBACK, past_due_at__lte=now
    )
    return _digest_send(digest=PAST_DUE, candidates=candidates, now=now)


def _digest_send(*, digest: _Digest, candidates: QuerySet[Report], now: datetime) -> int:
    field = digest.notified_field
    with transaction.atomic():
        # The claim: row locks make a concurrent run wait, then skip what this one took.
        claimed = candidates.filter(**{f"{field}__isnull": True}).update(**{field: now})
        if not claimed:
            return 0
        this_run = candidates.filter(**{field: now})
        counts = dict(
            this_run.order_by()
            .values("mini_app")
            .annotate(count=Count("id"))
            .values_list("mini_app", "count")
        )
        recipients = _recipients(mini_app_ids=list(counts), preference=digest.preference)
        apps = MiniApp.objects.in_bulk(list(recipients))
        queued = 0
        for app_id, members in recipients.items():
            reports = list(
                this_run.filter(mini_app_id=app_id)
                .select_related("issue_type")
                .order_by("due_at", "id")[:DIGEST_LIST_LIMIT]
            )
            context = _context(
                mini_app=apps[app_id], reports=reports, total=counts[app_id], now=now
            )
            shared = _render(digest, context)
            assigned = _assigned(digest, this_run.filter(mini_app_id=app_id), members)
            stamp = int(now.timestamp() * 1_000_000)
            for user in members:
                mine = assigned.get(user.pk)
                subject, body, html_body = shared
                if mine:
                    subject, body, html_body = _render(
                        digest, _context_assignee_first(context, mine, reports)
                    )
                email = email_enqueue(
                    to=user.email,
                    subject=" ".join(subject.split()),
                    body=body,
                    html_body=html_body,
                    dedupe_key=f"{digest.key}:{app_id}:{user.pk}:{stamp}",
                )
                queued += email is not None  # None: this very e-mail was queued already
    return queued


def _render(digest: _Digest, context: dict) -> tuple[str, str, str]:
    with timezone.override(UTC):  # the digests label their times UTC
        return (
            render_to_string(f"reports/email/{digest.key}_subject.txt", context),
            render_to_string(f"reports/email/{digest.key}.txt", context),
            render_to_string(f"reports/email/{digest.key}.html", context),
        )


def _assigned(
    digest: _Digest, app_run: QuerySet[Report], members: list[AbstractBaseUser]
) -> dict[int, list[Report]]:
    """This run's reports of one app assigned to each recipient (one query, bounded)."""
    if not digest.assignee_first:
        return {}
    rows = (
        app_run.filter(assignee__in=[member.pk for member in members])
        .select_related("issue_type")
        .order_by("due_at", "id")[: DIGEST_LIST_LIMIT * 10]
    )
    mine: dict[int, list[Report]] = defaultdict(list)
    for report in rows:
        if len(mine[report.assignee_id]) < DIGEST_LIST_LIMIT:
            mine[report.assignee_id].append(report)
    return mine


def _context_assignee_first(context: dict, mine: list[Report], reports: list[Report]) -> dict:
    """The digest for an assignee: their reports first, then the others (without repeats)."""
    urls = {row["report"].pk: row["url"] for row in context["rows"]}
    base = context["list_url"]
    ids = {report.pk for report in mine}
    others = [row for row in context["rows"] if row["report"].pk not in ids]
    return {
        **context,
        "mine_rows": [{"report": r, "url": urls.get(r.pk, f"{base}{r.report_id}/")} for r in mine],
        "rows": others,
        "more": max(context["total"] - len(mine) - len(others), 0),
    }


def _recipients(*, mini_app_ids: list[int], preference: str) -> dict[int, list[AbstractBaseUser]]:
    memberships = (
        Membership.objects.filter(mini_app_id__in=mini_app_ids, user__is_active=True)
        .filter(**{preference: True})
        .exclude(user__email="")
        .select_related("user")
        .order_by("mini_app_id", "user_id")
    )
    members: dict[int, list[AbstractBaseUser]] = defaultdict(list)
    for membership in memberships:
        members[membership.mini_app_id].append(membership.user)
    return dict(members)


def _context(*, mini_app: MiniApp, reports: list[Report], total: int, now: datetime) -> dict:
    def absolute(name: str, **kwargs) -> str:
        return settings.SITE_URL + reverse(name, kwargs={"app_slug": mini_app.slug, **kwargs})

    return {
        "mini_app": mini_app,
        "now": now,
        "total": total,
        "more": total - len(reports),
        "rows": [
            {"report": report, "url": f"{absolute('reports:report_list')}{report.report_id}/"}
            for report in reports
        ],
        "list_url": absolute("reports:report_list"),
        "preferences_url": absolute("reports:notification_preferences"),
        "hours": settings.REPORT_RESPONSE_HOURS,
    }


def member_notifications_set(
    *,
    membership: Membership,
    email_past_due: bool,
    daily_summary: bool,
    daily_summary_hour: int,
    timezone_name: str,
) -> Membership:
    """A developer's own choice of e-mails: the past-due digest for this mini app, and the
    daily summary (for all their mini apps: one e-mail) with its hour and timezone."""
    with transaction.atomic():
        membership.email_past_due = email_past_due
        membership.save(update_fields=["email_past_due"])
        MemberPreferences.objects.update_or_create(
            user_id=membership.user_id,
            defaults={
                "daily_summary": daily_summary,
                "daily_summary_hour": daily_summary_hour,
                "timezone_name": timezone_name,
            },
        )
    return membership


def member_timezone_set(*, user: AbstractBaseUser, timezone_name: str) -> None:
    """The timezone the developer picked in the console is also their daily summary's."""
    MemberPreferences.objects.update_or_create(
        user_id=user.pk, defaults={"timezone_name": timezone_name}
    )
