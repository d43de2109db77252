"""What the fault tests submit, and what a failed submission must leave behind: nothing."""

import secrets

from django.urls import reverse

from reports.models import OutboundEmail, Report, ReportEvent, Screenshot
from tests.factories import png_bytes, upload
from tests.tickets.api_client import api_post_multipart

FORM = "/help/acme/new/experience/"


def form_fields(**extra) -> dict:
    return {
        "submission_key": secrets.token_urlsafe(24),
        "issue_type": "experience.crash",
        # Different words each time: the same report again would be answered as a duplicate.
        "details": f"It crashes when I open my orders ({secrets.token_hex(4)}).",
        "contact_email": "ana@example.net",
        "screenshots": [upload(png_bytes()), upload(png_bytes(color=(0, 90, 200)), name="b.png")],
        **extra,
    }


def api_submit(client, app):
    return api_post_multipart(
        client,
        app,
        {
            "category": "experience",
            "issue_type": "crash",
            "details": f"It crashes when I open my orders ({secrets.token_hex(4)}).",
            "contact_email": "ana@example.net",
        },
        [upload(png_bytes()), upload(png_bytes(color=(0, 90, 200)), name="b.png")],
        headers={"HTTP_IDEMPOTENCY_KEY": secrets.token_hex(8)},
    )


def nothing_saved() -> dict:
    """Every row a submission writes, counted: all zero after a failed one."""
    return {
        "reports": Report.objects.count(),
        "screenshots": Screenshot.objects.count(),
        "events": ReportEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
    }


NOTHING = {"reports": 0, "screenshots": 0, "events": 0, "emails": 0}


def appeal_url(report: Report) -> str:
    path = reverse("appeals:appeal_new", kwargs={"app_slug": "acme", "report_id": report.report_id})
    return f"{path}?key={report.access_key}"


def appeal_fields() -> dict:
    return {
        "contact_email": "ana@example.net",
        "reason": "The refund never arrived; my bank shows no credit for the order.",
        "screenshots": [upload(png_bytes(color=(20, 160, 60)))],
    }
