"""Every read the help center and the API need, with its queries visible here."""

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from reports.models import (
    Category,
    MiniApp,
    Report,
    ReportEvent,
    Screenshot,
)
from reports.screenshots import ProcessedImage
from reports.search import DetailsMatch
from reports.selectors import report_for_key_holder
from reports.services import ReportInput

DUPLICATE_WINDOW = timedelta(hours=24)
# How long after a decision the reporter may still add information to their report.
ADD_INFORMATION_DAYS = 7


def information_refusal(*, report: Report, now: datetime) -> str:
    """Why the reporter cannot add information now, in their language; "" when they can:
    while the report is pending, and for ADD_INFORMATION_DAYS after its decision."""
    if report.handled_at is None or report.handled_at > now - timedelta(days=ADD_INFORMATION_DAYS):
        return ""
    return _(
        "This report was decided more than %(days)d days ago, so it no longer takes new "
        "information. If the problem continues, please file a new report."
    ) % {"days": ADD_INFORMATION_DAYS}


def help_mini_app(*, slug: str) -> MiniApp:
    return get_object_or_404(MiniApp, slug=slug)


def report_for_reporter(*, mini_app: MiniApp, report_id: str, key: str) -> Report:
    """The report for its key holder (reports.selectors.report_for_key_holder), with its public
    events and screenshots, read only for the right key."""
    report = report_for_key_holder(app_slug=mini_app.slug, report_id=report_id, key=key)
    prefetch_related_objects(
        [report],
        Prefetch(
            "events",
            # Newest first: the status page's timeline and the API's.
            queryset=ReportEvent.objects.filter(kind__in=ReportEvent.PUBLIC_KINDS)
            .order_by("-created_at", "-id")
            .prefetch_related("screenshots"),
            to_attr="public_events",
        ),
        "screenshots",
    )
    return report


def report_public_events(*, report: Report) -> list[ReportEvent]:
    """The report's public timeline, newest first (prefetched by report_for_reporter)."""
    if hasattr(report, "public_events"):
        return report.public_events
    events = ReportEvent.objects.filter(report=report, kind__in=ReportEvent.PUBLIC_KINDS)
    return list(events.order_by("-created_at", "-id"))


def report_screenshot_for_reporter(
    *, mini_app: MiniApp, report_id: str, key: str, position: int
) -> Screenshot:
    report = report_for_reporter(mini_app=mini_app, report_id=report_id, key=key)
    for shot in report.screenshots.all():
        if shot.position == position:
            return shot
    raise Http404("No such screenshot.")


def report_by_submission_key(*, mini_app: MiniApp, submission_key: str) -> Report | None:
    if not submission_key:
        return None
    return Report.objects.filter(mini_app=mini_app, submission_key=submission_key).first()


def report_for_status_link(*, mini_app: MiniApp, report_id: str, email: str) -> Report | None:
    return Report.objects.filter(
        mini_app=mini_app, report_id=report_id, contact_email__iexact=email
    ).first()


def report_for_api(*, mini_app: MiniApp, report_id: str) -> Report:
    if not report_id.isascii() or not report_id.isalnum():
        # Not a report ID (and a NUL would be a database error on PostgreSQL, not a 404).
        raise Http404("No such report.")
    report = Report.objects.filter(mini_app=mini_app, report_id=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report


def report_find_duplicate(
    *,
    mini_app: MiniApp,
    data: ReportInput,
    now: datetime,
) -> Report | None:
    """The same reporter's identical report from the last 24 hours, if there is one.

    "Same reporter" is the same (signed) Open ID or the same contact e-mail. One query per
    identity, each narrow on an index: the Open ID on report_open_id, a payment's order ID on
    report_order_id; an e-mail alone ranges over report_app_type (this app's reports of this
    issue type in the last day). Community Guidelines reports have no details, so their
    evidence tells them apart: two reports of different violations must both be filed.
    """
    same_report = Report.objects.filter(
        mini_app=mini_app,
        issue_type=data.issue_type,
        created_at__gte=now - DUPLICATE_WINDOW,
        created_at__lte=now,
        details=data.details if data.category != Category.COMMUNITY else "",
        order_id=data.order_id if data.category == Category.PAYMENT else "",
    )
    identities = []
    if data.open_id:
        identities.append(same_report.filter(open_id=data.open_id))
    if data.contact_email:
        # Every intake path stores e-mails lower-cased, so an exact match finds them.
        by_email = same_report.filter(contact_email=data.contact_email.lower())
        if data.details and data.category != Category.COMMUNITY:
            by_email = by_email.filter(_details_contain_words(data.details))
        identities.append(by_email)
    for candidates in identities:
        for report in candidates.prefetch_related("screenshots").order_by("-created_at")[:5]:
            if data.category != Category.COMMUNITY or _same_images(report, data.screenshots):
                return report
    return None


def _details_contain_words(details: str) -> Q:
    """The details hold these words, read from the GIN-indexed vector: there is no
    contact_email index, so an e-mail-only lookup narrows by the words instead of reading every
    report of the day. Identical details contain their own words."""
    if connection.vendor != "postgresql":
        return Q()  # SQLite has no such index; the exact details comparison decides alone
    # Whole words only (a cut word would not match itself), and a few suffice to narrow.
    words = [word for word in details.split()[:12] if len(word) <= 100]
    return Q(DetailsMatch(" ".join(words), plain_words=True)) if words else Q()


def _same_images(report: Report, images: Sequence[ProcessedImage]) -> bool:
    # Re-encoding is deterministic, so the same screenshot gives the same stored bytes.
    stored = list(report.screenshots.all())
    if len(stored) != len(images):
        return False
    for shot, image in zip(stored, images, strict=True):
        if shot.size != len(image.content):
            return False
        with shot.image.open("rb") as file:
            if hashlib.sha256(file.read()).digest() != hashlib.sha256(image.content).digest():
                return False
    return True
