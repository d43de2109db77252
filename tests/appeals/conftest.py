"""Appeal fixtures: a handled payment report and the reporter's keyed appeal URL."""

from collections.abc import Callable

import pytest
from django.urls import reverse

from appeals.services import appeal_submit
from reports.models import Category, Report
from reports.services import Dismissal, report_dismiss, report_resolve


def appeal_url(report: Report, key: str | None = None) -> str:
    path = reverse(
        "appeals:appeal_new",
        kwargs={"app_slug": report.mini_app.slug, "report_id": report.report_id},
    )
    return f"{path}?key={report.access_key if key is None else key}"


REASON = "The refund never arrived, my bank shows no credit for the order."


@pytest.fixture
def handled_report(make_report, owner) -> Callable[..., Report]:
    """A payment report the owner resolved (or dismissed), with the reporter's e-mail."""

    def make(status: str = "resolved", **fields) -> Report:
        fields.setdefault("contact_email", "reporter@example.net")
        report = make_report(Category.PAYMENT, **fields)
        notes = "Refund sent on the 3rd. (internal)"
        if status == "resolved":
            return report_resolve(report=report, actor=owner, notes=notes)
        return report_dismiss(
            report=report, actor=owner, notes=notes, dismissal=Dismissal("not_reproducible")
        )

    return make


@pytest.fixture
def resolved_report(handled_report) -> Report:
    return handled_report()


@pytest.fixture
def make_appeal() -> Callable:
    """Appeal through the real service. E-mails stay queued as outbox rows (the tests
    deliver them with email_deliver, no broker needed)."""

    def make(report: Report, **fields):
        fields.setdefault("contact_email", "reporter@example.net")
        fields.setdefault("reason", REASON)
        return appeal_submit(report=report, **fields)

    return make
