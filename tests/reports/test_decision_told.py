"""Decisions told: dismiss with a reason from the fixed list, one decision e-mail per decision
(resolve, dismiss; reopen tells them too), the way to appeal for a payment report."""

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from reports.models import Category, DismissReason, OutboundEmail, Report, ReportEvent, Status
from reports.outbox import email_deliver
from reports.services import (
    Dismissal,
    ReportRuleError,
    report_dismiss,
    report_reopen,
    report_resolve,
)

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind
HTMX = {"HX-Request": "true"}


def deliver_all() -> list:
    for email in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk"):
        email_deliver(email_id=email.pk)
    return mail.outbox


def status_page(client, report, language="en") -> str:
    client.cookies["django_language"] = language
    url = reverse("tickets:report_status", args=[report.mini_app.slug, report.report_id])
    return client.get(url, {"key": report.access_key}).content.decode()


def panel_post(client, report, action, **data):
    url = reverse(f"reports:report_{action}", args=["acme", report.report_id])
    return client.post(url, {"version": report.version, "notes": "", **data}, headers=HTMX)


def test_dismiss_without_a_reason_is_refused_and_changes_nothing(make_report, owner):
    report = make_report(contact_email="bo@example.net")
    for dismissal in (None, Dismissal("not_a_reason")):
        with pytest.raises(ReportRuleError):
            report_dismiss(report=report, actor=owner, dismissal=dismissal)
    report.refresh_from_db()
    assert report.status == Status.PENDING and report.version == 1
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("reason", "english", "spanish"),
    [
        ("not_reproducible", "Not reproducible", "No se pudo reproducir"),
        ("not_this_app", "Not about this mini app", "No trata sobre esta mini app"),
        ("spam", "Spam or abuse", "Spam o abuso"),
        ("not_enough_information", "Not enough information", "No hay suficiente información"),
    ],
)
def test_the_reason_is_stored_and_shown_to_the_reporter_in_their_language(
    client, make_report, owner, reason, english, spanish
):
    report = report_dismiss(report=make_report(), actor=owner, dismissal=Dismissal(reason))
    assert report.dismiss_reason == reason
    event = report.events.get(kind=Kind.DISMISSED)
    assert event.data["dismiss_reason"] == reason
    assert english in status_page(client, report)
    assert spanish in status_page(client, report, "es")


def test_a_duplicate_names_a_report_of_the_same_app(client, make_report, owner, other_app):
    original, report = make_report(), make_report()
    foreign = make_report(app=other_app)
    for wrong in ("", report.report_id, foreign.report_id, "NOSUCHID22", "AB;DROP"):
        with pytest.raises(ReportRuleError):
            report_dismiss(
                report=report, actor=owner, dismissal=Dismissal("duplicate", duplicate_of=wrong)
            )
    report.refresh_from_db()
    assert report.status == Status.PENDING
    dismissal = Dismissal("duplicate", duplicate_of=original.report_id.lower())
    report = report_dismiss(report=report, actor=owner, dismissal=dismissal)
    assert report.duplicate_of == original.report_id
    assert f"Duplicate of another report ({original.report_id})" in status_page(client, report)
    assert f"Duplicado de otro reporte ({original.report_id})" in status_page(client, report, "es")


def test_other_needs_the_teams_words_and_shows_them(client, make_report, owner):
    report = make_report()
    with pytest.raises(ReportRuleError):
        report_dismiss(report=report, actor=owner, dismissal=Dismissal("other", text="  "))
    report = report_dismiss(
        report=report, actor=owner, dismissal=Dismissal("other", text="Fixed in version 2.1.")
    )
    assert "Fixed in version 2.1." in status_page(client, report)


def test_the_database_refuses_a_reason_on_a_report_that_is_not_dismissed(make_report):
    report = make_report()
    with pytest.raises(IntegrityError):
        Report.objects.filter(pk=report.pk).update(dismiss_reason=DismissReason.SPAM)


def test_the_panel_asks_for_a_reason_and_keeps_what_was_typed(client, owner, make_report):
    report = make_report()
    client.force_login(owner)
    response = panel_post(client, report, "dismiss", reply="Sorry about this.")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Choose why you dismiss this report" in body and "Sorry about this." in body
    response = panel_post(client, report, "dismiss", reason="duplicate", duplicate_of="")
    assert "Give the ID of the report this one duplicates." in response.content.decode()
    response = panel_post(client, report, "dismiss", reason="other")
    assert "Write the reason: the reporter reads it." in response.content.decode()
    response = panel_post(client, report, "dismiss", reason="duplicate", duplicate_of="ZZZZZZZZZZ")
    assert response.status_code == 422
    assert "ZZZZZZZZZZ is not a report of this mini app" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.PENDING and report.version == 1
    response = panel_post(client, report, "dismiss", reason="spam", reply="Closing this.")
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == Status.DISMISSED and report.dismiss_reason == "spam"
    body = response.content.decode()
    assert 'Reason told to the reporter: <span dir="auto">Spam or abuse' in body


def test_each_decision_sends_one_email_and_a_repeated_click_none_more(client, owner, make_report):
    report = make_report(contact_email="bo@example.net", reporter_language="en")
    client.force_login(owner)
    assert panel_post(client, report, "resolve").status_code == 200
    assert panel_post(client, report, "resolve").status_code == 409  # the double-click
    report.refresh_from_db()
    report = report_reopen(report=report, actor=owner)
    report = report_dismiss(report=report, actor=owner, dismissal=Dismissal("spam"))
    subjects = [email.subject for email in deliver_all()]
    rid = report.report_id
    assert subjects == [
        f"Your report {rid} was resolved (Acme Shop)",
        f"Your report {rid} is being looked at again (Acme Shop)",
        f"Your report {rid} was dismissed (Acme Shop)",
    ]
    assert "Reason: Spam or abuse" in mail.outbox[2].body


def test_a_decision_email_is_queued_once_per_decision_whatever_retries(make_report, owner):
    from reports.reporter_mail import reporter_email_enqueue

    report = report_resolve(report=make_report(contact_email="bo@example.net"), actor=owner)
    key = f"reports:decision:{report.pk}:{report.version}"
    assert OutboundEmail.objects.filter(dedupe_key=key).count() == 1
    # A retried task or request queuing the same decision again queues nothing.
    again = reporter_email_enqueue(
        report=report, template="reports/email/reporter_decision", dedupe_key=key
    )
    assert again is None and OutboundEmail.objects.count() == 1


def test_reopen_clears_the_reason(make_report, owner):
    report = report_dismiss(report=make_report(), actor=owner, dismissal=Dismissal("spam"))
    report = report_reopen(report=report, actor=owner)
    assert (report.dismiss_reason, report.dismiss_reason_text, report.duplicate_of) == ("", "", "")


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_payment_decision_says_how_to_appeal(client, make_report, owner, language):
    report = make_report(
        Category.PAYMENT, contact_email="bo@example.net", reporter_language=language
    )
    report = report_dismiss(
        report=report, actor=owner, dismissal=Dismissal("not_enough_information")
    )
    [email] = deliver_all()
    words = {
        "en": ("You can appeal this decision", "Not satisfied? Appeal this decision"),
        "es": ("Puedes apelar esta decisión", "¿No estás conforme? Apela esta decisión"),
    }[language]
    assert words[0] in email.body and words[1] in email.body
    assert words[1] in status_page(client, report, language)


def test_a_decision_on_another_category_does_not_mention_appeals(make_report, owner):
    report = make_report(contact_email="bo@example.net")
    report_resolve(report=report, actor=owner)
    [email] = deliver_all()
    assert "appeal" not in email.body.lower()


def test_bulk_dismiss_asks_for_a_reason_and_tells_each_reporter(client, owner, make_report):
    first = make_report(contact_email="a@example.net")
    second = make_report(contact_email="b@example.net")
    client.force_login(owner)
    url = reverse("reports:reports_bulk", args=["acme"])
    selected = [first.report_id, second.report_id]
    response = client.post(url, {"action": "dismiss", "selected": selected}, follow=True)
    assert "Choose why you dismiss these reports" in response.content.decode()
    assert Report.objects.filter(status=Status.DISMISSED).count() == 0
    client.post(url, {"action": "dismiss", "selected": selected, "reason": "not_reproducible"})
    assert set(Report.objects.values_list("status", "dismiss_reason")) == {
        (Status.DISMISSED, "not_reproducible")
    }
    assert sorted(e.to[0] for e in deliver_all()) == ["a@example.net", "b@example.net"]


def test_the_admin_action_dismisses_as_spam(admin_client, make_report):
    report = make_report()
    admin_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "dismiss_selected", "_selected_action": [report.pk]},
    )
    report.refresh_from_db()
    assert (report.status, report.dismiss_reason) == (Status.DISMISSED, "spam")
    assert "spam" in site._registry[Report].dismiss_selected.short_description
