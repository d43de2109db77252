"""Reminder e-mails to a mini app's developers: the past-due digest and the due-soon digest.

A digest run first claims its reports (stamps `past_due_notified_at` or `due_soon_notified_at`
with the run's time), then queues one e-mail per opted-in member per mini app in the durable
outbox, all in one transaction. So a report is listed in one digest of each kind, ever: a
retried or redelivered task finds its reports claimed and queues nothing, a failed run claims
nothing, and the outbox's dedupe key refuses a second copy of the same e-mail.
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

from .models import Membership, MiniApp, Report, Status
from .outbox import email_enqueue

# The due-soon digest lists pending reports whose deadline is this close.
DUE_SOON_WINDOW = timedelta(hours=12)
# Marks older than this are not announced any more (e.g. after the workers were down a week).
PAST_DUE_LOOKBACK = timedelta(days=7)
# A digest lists this many reports and links to the console for the rest.
DIGEST_LIST_LIMIT = 50


@dataclass(frozen=True)
class _Digest:
    key: str  # dedupe-key prefix and template name
    notified_field: str  # the Report field that records the notice
    preference: str  # the Membership flag that opts a developer in


PAST_DUE = _Digest("past_due", "past_due_notified_at", "email_past_due")
DUE_SOON = _Digest("due_soon", "due_soon_notified_at", "email_due_soon")


def reminders_past_due_send(*, now: datetime | None = None) -> int:
    """E-mail each mini app's opted-in members about its reports newly marked past due.

    Returns the number of e-mails queued. Reports handled before the digest goes are left out.
    """
    now = now or timezone.now()
    candidates = Report.objects.filter(
        status=Status.PENDING, past_due_at__gte=now - PAST_DUE_LOOKBACK, past_due_at__lte=now
    )
    return _digest_send(digest=PAST_DUE, candidates=candidates, now=now)


def reminders_due_soon_send(*, now: datetime | None = None) -> int:
    """E-mail each mini app's opted-in members the pending reports due within 12 hours.

    Run once a day by beat; a report is listed in at most one due-soon digest.
    """
    now = now or timezone.now()
    candidates = Report.objects.filter(
        status=Status.PENDING,
        past_due_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + DUE_SOON_WINDOW,
    )
    return _digest_send(digest=DUE_SOON, candidates=candidates, now=now)


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
            with timezone.override(UTC):  # the digests label their times UTC
                subject = render_to_string(f"reports/email/{digest.key}_subject.txt", context)
                body = render_to_string(f"reports/email/{digest.key}.txt", context)
                html_body = render_to_string(f"reports/email/{digest.key}.html", context)
            stamp = int(now.timestamp() * 1_000_000)
            for user in members:
                email = email_enqueue(
                    to=user.email,
                    subject=" ".join(subject.split()),
                    body=body,
                    html_body=html_body,
                    dedupe_key=f"{digest.key}:{app_id}:{user.pk}:{stamp}",
                )
                queued += email is not None  # None: this very e-mail was queued already
    return queued


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
        "window_hours": int(DUE_SOON_WINDOW.total_seconds() // 3600),
    }


def membership_notifications_set(
    *, membership: Membership, email_past_due: bool, email_due_soon: bool
) -> Membership:
    """A developer's own choice of reminder e-mails for one mini app."""
    membership.email_past_due = email_past_due
    membership.email_due_soon = email_due_soon
    membership.save(update_fields=["email_past_due", "email_due_soon"])
    return membership
