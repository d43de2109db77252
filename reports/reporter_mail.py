"""E-mails to a reporter: in their language and timezone, always with their status link.

The one place a reporter's e-mail is rendered and queued (the intake's confirmation and status
link, the team's replies and decisions); the outbox delivers it after commit.
"""

import zoneinfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .middleware import timezone_from_name
from .models import DismissReason, OutboundEmail, Report
from .outbox import email_enqueue

# The reporter's status page is served by tickets; the URL is named, not imported.
STATUS_PAGE = "tickets:report_status"


def report_status_url(report: Report) -> str:
    return settings.SITE_URL + report.reporter_path(STATUS_PAGE)


def dismiss_reason_words(*, reason: str, text: str = "", duplicate_of: str = "") -> str:
    """A dismissal's reason as the reporter reads it, in the active language (the API's
    words; templates/reports/_dismiss_reason.html says the same on pages and in e-mails)."""
    if reason == DismissReason.DUPLICATE:
        return _("Duplicate of another report (%(id)s)") % {"id": duplicate_of}
    if reason == DismissReason.OTHER:
        return text
    return _(DismissReason(reason).label) if reason in DismissReason.values else ""


def reporter_email_enqueue(
    *,
    report: Report,
    template: str,
    dedupe_key: str = "",
    language: str | None = None,
    tz_name: str | None = None,
    **extra,
) -> OutboundEmail | None:
    """Queue `template` (_subject.txt, .txt, .html) to the report's contact address, if any.

    Language and zone default to the reporter's own, stored with the report. Call inside the
    change's transaction: the e-mail exists exactly when the change does.
    """
    if not report.contact_email:
        return None
    language = report.reporter_language if language is None else language
    tz_name = report.reporter_timezone if tz_name is None else tz_name
    tz = timezone_from_name(tz_name) or zoneinfo.ZoneInfo("UTC")
    context = {
        "report": report,
        "mini_app": report.mini_app,
        "status_url": report_status_url(report),
        "created_at": report.created_at,
        "due_at": report.due_at,
        "tz_name": str(tz),
        "response_hours": settings.REPORT_RESPONSE_HOURS,
        **extra,
    }
    # Date filters convert to the *active* zone: rendering outside the reporter's zone showed
    # UTC clock times labelled with their zone.
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(tz):
        context["LANGUAGE_CODE"] = translation.get_language()
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    return email_enqueue(
        to=report.contact_email,
        subject=" ".join(subject.split()),
        body=body,
        html_body=html_body,
        dedupe_key=dedupe_key,
    )
