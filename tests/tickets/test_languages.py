"""English and Spanish: chosen from Accept-Language, switchable, and used in the e-mails."""

import secrets

import pytest

from reports.models import OutboundEmail, Report
from tests.factories import upload

pytestmark = pytest.mark.django_db


def test_spanish_from_accept_language(client, mini_app):
    page = client.get("/help/acme/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    assert 'lang="es"' in page
    assert "Cómo escribir un buen reporte" in page
    assert "Pagos y pedidos" in page
    assert "Infracción de las normas de la comunidad" in page


def test_english_by_default(client, mini_app):
    page = client.get("/help/acme/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "How to write a good report" in page


def test_the_switcher_changes_the_language(client, mini_app):
    page = client.get("/help/acme/").content.decode()
    assert 'name="language"' in page and "Change language" in page
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/help/acme/"})
    assert response.status_code == 302
    assert "Consultar un reporte" in client.get("/help/acme/").content.decode()


def test_spanish_form_errors_issue_types_and_image_messages(client, mini_app):
    response = client.post(
        "/help/acme/new/community/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "screenshots": [upload(b"not an image", name="x.png")],
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )
    page = response.content.decode()
    assert "Elige el tipo de problema que mejor lo describa." in page
    assert "x.png: Este archivo no es una imagen PNG, JPEG o WebP." in page
    assert "Acoso o intimidación" in page
    assert Report.objects.count() == 0


def test_the_confirmation_email_is_in_the_reporters_language(client, mini_app):
    client.post(
        "/help/acme/new/experience/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": "Se cierra",
            "contact_email": "ana@example.net",
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )
    email = OutboundEmail.objects.get()
    report = Report.objects.get()
    assert email.subject == f"Reporte recibido: {report.report_id} (Acme Shop)"
    assert "Recibirás respuesta en un plazo de 72 horas" in email.body
    assert 'lang="es"' in email.html_body
