"""The reporter's appeal page: who may appeal, the form's validation, the support e-mail."""

import pytest

from appeals.models import Appeal, AppealScreenshot
from reports.models import Category, OutboundEmail, ReportEvent
from reports.services import report_reopen, report_resolve
from tests.factories import png_bytes, upload

from .conftest import REASON, appeal_url

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind


def post_appeal(client, report, key=None, HTTP_ACCEPT_LANGUAGE="en", **data):  # noqa: N803
    data = {"contact_email": "reporter@example.net", "reason": REASON, **data}
    return client.post(appeal_url(report, key), data, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE)


def nothing_stored():
    # The report's own decision e-mail was queued when it was handled, before the appeal.
    appeal_emails = OutboundEmail.objects.exclude(dedupe_key__startswith="reports:decision:")
    return not Appeal.objects.exists() and not appeal_emails.exists()


def test_the_form_is_prefilled_with_the_reports_email(client, resolved_report):
    page = client.get(appeal_url(resolved_report)).content.decode()
    assert "Not satisfied? Appeal this decision" in page
    assert 'value="reporter@example.net"' in page
    assert "Submit appeal" in page
    assert "Refund sent on the 3rd" not in page  # the internal notes


def test_an_appeal_shows_the_support_email_on_the_page(client, resolved_report):
    response = post_appeal(client, resolved_report)
    assert response.status_code == 302
    assert response["Location"] == appeal_url(resolved_report)
    page = client.get(response["Location"]).content.decode()
    assert "Your appeal was sent." in page
    assert "You can also reach the developer at" in page
    assert "mailto:help@acme.example" in page
    appeal = Appeal.objects.get()
    assert appeal.reason == REASON
    assert resolved_report.events.filter(kind=Kind.SUPPORT_EMAIL_SHARED).exists()


def test_a_dismissed_payment_report_can_be_appealed(client, handled_report):
    report = handled_report("dismissed")
    assert post_appeal(client, report).status_code == 302
    assert Appeal.objects.get().appealed_status == "dismissed"


@pytest.mark.parametrize("category", [Category.EXPERIENCE, Category.COMMUNITY])
def test_other_categories_are_refused_with_an_explanation(
    client, make_report, owner, screenshot, category
):
    report = make_report(category, screenshots=[screenshot], contact_email="r@example.net")
    report = report_resolve(report=report, actor=owner)
    page = client.get(appeal_url(report))
    assert page.status_code == 200
    assert "payment and order reports only" in page.content.decode()
    assert "Submit appeal" not in page.content.decode()
    refused = post_appeal(client, report)
    assert refused.status_code == 409
    assert "payment and order reports only" in refused.content.decode()
    assert nothing_stored()


def test_a_pending_report_is_refused_with_an_explanation(client, make_report):
    report = make_report(Category.PAYMENT)
    page = client.get(appeal_url(report)).content.decode()
    assert "still being handled" in page and "Submit appeal" not in page
    refused = post_appeal(client, report)
    assert refused.status_code == 409
    assert "still being handled" in refused.content.decode()
    assert nothing_stored()


def test_a_second_appeal_is_refused_while_the_first_is_open(client, resolved_report, make_appeal):
    make_appeal(resolved_report)
    page = client.get(appeal_url(resolved_report)).content.decode()
    assert "being reviewed" in page and "Submit appeal" not in page
    assert "You can also reach the developer at" in page
    refused = post_appeal(client, resolved_report, reason="Another reason, typed again twice.")
    assert refused.status_code == 409
    assert Appeal.objects.count() == 1


def test_after_a_decision_only_a_new_handling_reopens_the_form(
    client, resolved_report, make_appeal, owner
):
    from appeals.services import appeal_uphold

    appeal_uphold(appeal=make_appeal(resolved_report), actor=owner, reply="The refund was sent.")
    page = client.get(appeal_url(resolved_report)).content.decode()
    assert "already been reviewed on appeal" in page
    assert "The refund was sent." in page  # the outcome and reply stay visible
    assert post_appeal(client, resolved_report).status_code == 409
    report = report_reopen(report=resolved_report, actor=owner)
    report = report_resolve(report=report, actor=owner)
    page = client.get(appeal_url(report)).content.decode()
    assert "handled again since your appeal was decided" in page
    assert post_appeal(client, report).status_code == 302
    assert Appeal.objects.count() == 2


@pytest.mark.parametrize("key", ["", "wrong-key", "x" * 32, "clé-ünïcode"])
def test_a_wrong_or_missing_key_is_a_404(client, resolved_report, key):
    assert client.get(appeal_url(resolved_report, key)).status_code == 404
    assert post_appeal(client, resolved_report, key).status_code == 404
    assert nothing_stored()


def test_another_apps_slug_is_a_404(client, resolved_report, other_app):
    url = appeal_url(resolved_report).replace("/help/acme/", "/help/globex/")
    assert client.get(url).status_code == 404
    assert client.post(url, {"contact_email": "a@b.example", "reason": REASON}).status_code == 404


def test_the_keyed_page_is_not_cached_nor_leaked_to_other_sites(client, resolved_report):
    response = client.get(appeal_url(resolved_report))
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contact_email": ""}, "Enter your e-mail address, so we can send you the outcome."),
        ({"contact_email": "not-an-email"}, "Enter a valid e-mail address"),
        ({"reason": ""}, "Tell us why you disagree with the decision."),
        ({"reason": "  too short        "}, "at least 20 characters"),
        ({"reason": "x" * 5001}, "under 5000 characters"),
    ],
)
def test_invalid_input_says_what_to_fix_and_stores_nothing(client, resolved_report, data, message):
    response = post_appeal(client, resolved_report, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_stored()


def test_screenshots_go_through_the_shared_pipeline(client, resolved_report):
    shots = [upload(png_bytes()), upload(png_bytes(image_format="JPEG"), "b.jpg", "image/jpeg")]
    response = post_appeal(client, resolved_report, screenshots=shots)
    assert response.status_code == 302
    stored = list(AppealScreenshot.objects.order_by("position"))
    assert [shot.content_type for shot in stored] == ["image/png", "image/jpeg"]


def test_a_bad_screenshot_is_refused_and_nothing_is_stored(client, resolved_report, media_root):
    shots = [upload(png_bytes()), upload(b"not an image", "evil.png")]
    response = post_appeal(client, resolved_report, screenshots=shots)
    assert response.status_code == 400
    assert "evil.png: This file is not a PNG, JPEG or WebP image" in response.content.decode()
    assert nothing_stored()
    assert not (media_root / "appeal-screenshots").exists()


def test_at_most_three_screenshots(client, resolved_report):
    shots = [upload(png_bytes(), f"{n}.png") for n in range(4)]
    response = post_appeal(client, resolved_report, screenshots=shots)
    assert response.status_code == 400
    assert "Attach at most 3 screenshots (you attached 4)." in response.content.decode()
    assert nothing_stored()


def test_a_spanish_reporter_appeals_and_hears_back_in_spanish(client, resolved_report, owner):
    from appeals.services import appeal_uphold
    from reports.outbox import email_deliver

    page = client.get(appeal_url(resolved_report), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Enviar apelación" in page and "Tu dirección de correo" in page
    response = post_appeal(client, resolved_report, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.language == "es"
    received = OutboundEmail.objects.get(dedupe_key=f"appeal_received:{appeal.pk}")
    assert received.subject == f"Recibimos tu apelación del reporte {resolved_report.report_id}"
    assert "También puedes escribir al desarrollador a help@acme.example." in received.body
    # The developer works in English; the reporter still reads the outcome in Spanish.
    appeal_uphold(appeal=appeal, actor=owner, reply="Revisamos el pago.")
    outcome = OutboundEmail.objects.get(dedupe_key=f"appeal_outcome:{appeal.pk}")
    assert "la decisión se mantiene" in outcome.subject
    assert email_deliver(email_id=outcome.pk)


def test_an_oversized_upload_is_refused_before_it_is_read(client, resolved_report):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    body = encode_multipart(BOUNDARY, {"contact_email": "a@example.net", "reason": REASON})
    response = client.generic(
        "POST",
        appeal_url(resolved_report),
        body,
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(40 * 1024 * 1024),  # what the browser announces
    )
    assert response.status_code == 413
    assert "too large together" in response.content.decode()
    assert nothing_stored()
