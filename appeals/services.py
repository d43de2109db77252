"""Every state change of an appeal, each writing the report's history in the same transaction.

Views, admin actions and the Celery task all call these: one rule, one place.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.insights import rollup_add
from reports.insights.rollups import APPEAL_DECIDED, APPEAL_FILED, hour_of
from reports.models import Report, ReportEvent, Status
from reports.outbox import email_enqueue
from reports.roles import HANDLING_ROLES, role_require
from reports.screenshots import (
    ProcessedImage,
    ScreenshotStorageError,
    screenshot_files_kept_with_rows,
    screenshot_store,
)
from reports.services import (
    DATABASE_BUGS,
    REFUSALS,
    BulkResult,
    each_changed,
    report_decision_change,
    report_event_record,
)
from reports.timeformat import api_time, when_zone_text
from reports.webhooks.events import EventType, report_event_emit

from .models import Appeal, AppealScreenshot
from .selectors import appeal_eligibility

Kind = ReportEvent.Kind
logger = logging.getLogger(__name__)


class AppealRefused(ValueError):
    """The report cannot be appealed now; the message is the explanation the reporter reads."""


class AppealNotSaved(Exception):
    """The database or the file storage failed mid-submission: no row and no file was kept,
    so the reporter can simply send the appeal again."""


class AppealConflict(Exception):
    """The appeal was decided by someone else meanwhile; `current` is how it is now."""

    def __init__(self, current: Appeal, message: str):
        super().__init__(message)
        self.current = current
        self.message = message


def appeal_submit(
    *,
    report: Report,
    contact_email: str,
    reason: str,
    screenshots: Sequence[ProcessedImage] = (),
    now: datetime | None = None,
) -> Appeal:
    """File an appeal with its screenshots, history rows and e-mails, all or nothing.

    Raises AppealRefused when the report may not be appealed (category, status, an appeal
    still open, this decision already appealed), with the same words the page shows.
    """
    now = now or timezone.now()
    try:
        # The transaction rolls the rows back; the outer block removes the files stored with them.
        with screenshot_files_kept_with_rows() as stored, transaction.atomic():
            # Lock the report, so two submissions at once see each other's appeal.
            report = Report.objects.select_for_update().select_related("mini_app").get(pk=report.pk)
            eligibility = appeal_eligibility(report=report)
            if not eligibility.allowed:
                raise AppealRefused(eligibility.reason)
            appeal = Appeal.objects.create(
                report=report,
                mini_app=report.mini_app,
                contact_email=contact_email,
                reason=reason,
                appealed_status=report.status,
                appealed_handled_at=report.handled_at,
                created_at=now,
                due_at=Appeal.due_from(now),
                language=translation.get_language() or "",
            )
            for position, image in enumerate(screenshots):
                screenshot_store(
                    shot=AppealScreenshot(appeal=appeal, position=position),
                    image=image,
                    stored=stored,
                )
            # Only a verified address is shared (reports.models.MiniApp.support_email_shared).
            support_email = report.mini_app.support_email_shared
            report_event_record(report, Kind.APPEAL_SUBMITTED, None, now, appeal=appeal.pk)
            rollup_add(mini_app_id=report.mini_app_id, counts={(hour_of(now), APPEAL_FILED, ""): 1})
            if support_email:
                report_event_record(
                    report,
                    Kind.SUPPORT_EMAIL_SHARED,
                    None,
                    now,
                    appeal=appeal.pk,
                    support_email=support_email,
                    shared_with=contact_email,
                )
            _email_reporter_received(appeal=appeal, report=report)
            _email_members_new_appeal(appeal=appeal, report=report)
            _webhook_emit(appeal=appeal, report=report, type=EventType.APPEAL_CREATED, now=now)
    except IntegrityError:
        # The database's own rule (one open appeal, one per handling) caught a race.
        raise AppealRefused(
            _("Your appeal of this decision is being reviewed. We will e-mail you the outcome.")
        ) from None
    except (DatabaseError, ScreenshotStorageError) as error:
        if isinstance(error, DATABASE_BUGS):
            raise
        logger.exception("Appeal not saved (no row, no file kept)")
        raise AppealNotSaved("The appeal could not be saved.") from error
    return appeal


def appeal_uphold(*, appeal: Appeal, actor: AbstractBaseUser | None, reply: str) -> Appeal:
    """The decision stands. The reporter reads the reply with the outcome."""
    now = timezone.now()
    with transaction.atomic():
        current = _decide(
            appeal=appeal, actor=actor, reply=reply, state=Appeal.State.UPHELD, now=now
        )
        report_event_record(current.report, Kind.APPEAL_UPHELD, actor, now, appeal=current.pk)
        _email_reporter_outcome(appeal=current)
        _webhook_emit(appeal=current, report=current.report, type=EventType.APPEAL_DECIDED, now=now)
    return current


def appeal_overturn(
    *,
    appeal: Appeal,
    actor: AbstractBaseUser | None,
    reply: str,
    new_status: str,
    expected_version: int | None = None,
) -> Appeal:
    """The report's decision is changed (to the other decision, or back to Pending).

    The report's rule (reports.services.report_decision_change) changes it and records the
    overturn in its history; a conflict there rolls the whole decision back.
    """
    now = timezone.now()
    with transaction.atomic():
        current = _decide(
            appeal=appeal,
            actor=actor,
            reply=reply,
            state=Appeal.State.OVERTURNED,
            now=now,
            new_status=new_status,
        )
        current.report = report_decision_change(
            report=current.report,
            actor=actor,
            status=new_status,
            expected_version=expected_version,
            now=now,
        )
        _email_reporter_outcome(appeal=current)
        _webhook_emit(appeal=current, report=current.report, type=EventType.APPEAL_DECIDED, now=now)
    return current


def appeals_bulk_decide(
    *,
    appeals: Iterable[Appeal],
    actor: AbstractBaseUser | None,
    decision: str,
    reply: str,
    new_status: str = "",
) -> BulkResult:
    """Uphold or overturn many appeals with one reply, each on its own (reports.services
    .each_changed: wholly or not at all, conflicts left as they were, named by report ID).
    An overturn without `new_status` gives each report the other decision."""

    def decide(appeal: Appeal) -> None:
        if decision == "uphold":
            appeal_uphold(appeal=appeal, actor=actor, reply=reply)
        else:
            appeal_overturn(
                appeal=appeal,
                actor=actor,
                reply=reply,
                new_status=new_status or _other_decision(appeal.report),
            )

    return each_changed(
        appeals,
        change=decide,
        report_id=lambda appeal: appeal.report.report_id,
        refusals=(AppealConflict, *REFUSALS),
    )


def _other_decision(report: Report) -> str:
    return Status.DISMISSED if report.status == Status.RESOLVED else Status.RESOLVED


def appeals_mark_past_due(*, now: datetime | None = None) -> int:
    """Mark every open appeal whose 72-hour deadline has passed; returns how many.

    One UPDATE whatever the number: a concurrent run finds the rows marked and skips them.
    """
    now = now or timezone.now()
    return Appeal.objects.filter(
        state=Appeal.State.OPEN, past_due_at__isnull=True, due_at__lte=now
    ).update(past_due_at=now)


# --- helpers


def _webhook_emit(*, appeal: Appeal, report: Report, type: str, now: datetime) -> None:
    """appeal.created / appeal.decided: the report as the API shows it, with the appeal."""
    report_event_emit(
        report=report,
        type=type,
        now=now,
        appeal={
            "id": appeal.pk,
            "state": appeal.state,
            "appealed_status": appeal.appealed_status,
            "created_at": api_time(appeal.created_at),
            "due_at": api_time(appeal.due_at),
            "decided_at": api_time(appeal.decided_at),
            "new_status": appeal.new_status or None,
        },
    )


def _decide(
    *, appeal: Appeal, actor, reply: str, state: str, now: datetime, new_status: str = ""
) -> Appeal:
    role_require(actor=actor, mini_app_id=appeal.mini_app_id, roles=HANDLING_ROLES)
    reply = reply.strip()
    if not reply:
        raise ValueError("Write a reply to the reporter.")
    if new_status and new_status not in Status.values:
        raise ValueError("Unknown status.")
    # One conditional UPDATE: two developers deciding at once can never both win.
    claimed = Appeal.objects.filter(pk=appeal.pk, state=Appeal.State.OPEN).update(
        state=state, decided_at=now, decided_by=actor, reply=reply, new_status=new_status
    )
    current = Appeal.objects.select_related("report", "report__mini_app", "decided_by").get(
        pk=appeal.pk
    )
    if claimed != 1:
        who = current.decided_by.get_username() if current.decided_by else "someone"
        when = when_zone_text(current.decided_at)
        state_name = current.get_state_display().lower()
        raise AppealConflict(current, f"This appeal was already {state_name} by {who} at {when}.")
    rollup_add(mini_app_id=current.mini_app_id, counts={(hour_of(now), APPEAL_DECIDED, state): 1})
    return current


def appeal_page_path(report: Report) -> str:
    return report.reporter_path("appeals:appeal_new")


def report_status_path(report: Report) -> str:
    return report.reporter_path("tickets:report_status")


def _appeal_page_url(report: Report) -> str:
    return f"{settings.SITE_URL}{appeal_page_path(report)}"


def _panel_url(appeal: Appeal) -> str:
    path = reverse(
        "appeals:appeal_detail",
        kwargs={"app_slug": appeal.mini_app.slug, "appeal_id": appeal.pk},
    )
    return f"{settings.SITE_URL}{path}"


def _email_reporter_received(*, appeal: Appeal, report: Report) -> None:
    context = {
        "appeal": appeal,
        "report": report,
        "mini_app": report.mini_app,
        "page_url": _appeal_page_url(report),
    }
    email_enqueue(
        to=appeal.contact_email,
        subject=_("We received your appeal of report %(id)s") % {"id": report.report_id},
        body=render_to_string("appeals/email/appeal_received.txt", context),
        dedupe_key=f"appeal_received:{appeal.pk}",
    )


def _email_members_new_appeal(*, appeal: Appeal, report: Report) -> None:
    members = (
        get_user_model()
        .objects.filter(memberships__mini_app=report.mini_app, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    body = render_to_string(
        "appeals/email/appeal_new_member.txt",
        {"appeal": appeal, "report": report, "panel_url": _panel_url(appeal)},
    )
    for member in members:
        email_enqueue(
            to=member.email,
            subject=f"New appeal on report {report.report_id} ({report.mini_app.name})",
            body=body,
            dedupe_key=f"appeal_new:{appeal.pk}:{member.pk}",
        )


def _email_reporter_outcome(*, appeal: Appeal) -> None:
    report = appeal.report
    context = {
        "appeal": appeal,
        "report": report,
        "mini_app": report.mini_app,
        "page_url": _appeal_page_url(report),
    }
    # Written in the reporter's language, whoever decides the appeal.
    with translation.override(appeal.language or settings.LANGUAGE_CODE):
        if appeal.state == Appeal.State.UPHELD:
            subject = _("Your appeal of report %(id)s: the decision stands")
        else:
            subject = _("Your appeal of report %(id)s: the decision was overturned")
        email_enqueue(
            to=appeal.contact_email,
            subject=subject % {"id": report.report_id},
            body=render_to_string("appeals/email/appeal_outcome.txt", context),
            dedupe_key=f"appeal_outcome:{appeal.pk}",
        )
