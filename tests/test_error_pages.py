"""Error pages (400, 403, 404, 500, CSRF failure) with DEBUG off: the site's style, a helpful
message and a way back; in the reporter's language on the help center, in English elsewhere."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from config.errors import server_error

HEADINGS = {
    400: ("Bad request", "Solicitud no válida"),
    403: ("No access to this page", "Sin acceso a esta página"),
    404: ("Page not found", "Página no encontrada"),
    500: ("Something went wrong on our side", "Algo salió mal por nuestra parte"),
}
STYLESHEET = "/static/css/app.css"


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


@pytest.fixture
def visitor() -> Client:
    return Client(raise_request_exception=False)


def page_of(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("status", HEADINGS)
def test_each_error_on_the_help_center_is_styled_with_a_way_back(visitor, mini_app, status):
    page = page_of(visitor.get(f"/help/acme/fail/{status}/", HTTP_ACCEPT_LANGUAGE="en"))
    english, _ = HEADINGS[status]
    assert f"<h1>{english}</h1>" in page
    assert STYLESHEET in page
    assert '<a href="/help/acme/">Back to the help center</a>' in page
    assert "Traceback" not in page and "a bug on our side" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("status", HEADINGS)
def test_each_error_on_a_spanish_help_center_page_is_in_spanish(visitor, mini_app, status):
    response = visitor.get(f"/help/acme/fail/{status}/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert response.status_code == status
    page = page_of(response)
    _, spanish = HEADINGS[status]
    assert 'lang="es"' in page
    assert f"<h1>{spanish}</h1>" in page
    assert '<a href="/help/acme/">Volver al centro de ayuda</a>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("status", HEADINGS)
def test_each_error_in_the_console_is_in_english_with_a_way_back(visitor, status):
    response = visitor.get(f"/console/fail/{status}/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == status
    page = page_of(response)
    english, _ = HEADINGS[status]
    assert 'lang="en"' in page
    assert f"<h1>{english}</h1>" in page
    assert STYLESHEET in page
    assert '<a href="/console/">Go to your mini apps</a>' in page


@pytest.mark.django_db
def test_a_real_404_a_report_link_with_a_wrong_key(visitor, make_report):
    report = make_report()
    response = visitor.get(
        f"/help/acme/tickets/{report.report_id}/?key=wrong", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 404
    page = page_of(response)
    assert "<h1>Página no encontrada</h1>" in page
    assert "comprueba que lo copiaste entero, con la clave del final" in page


@pytest.mark.django_db
def test_an_unknown_help_center_sends_the_reporter_back_to_the_app(visitor):
    response = visitor.get("/help/no-such-app/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    page = page_of(response)
    assert "<h1>Page not found</h1>" in page
    assert "open its help center from the app again" in page
    assert 'href="/help/no-such-app/"' not in page


@pytest.mark.django_db
def test_a_request_for_another_host_is_a_styled_400(visitor, mini_app):
    response = visitor.get("/help/acme/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "<h1>Solicitud no válida</h1>" in page_of(response)


@pytest.mark.django_db
def test_an_expired_help_center_form_shows_the_styled_csrf_page_in_spanish(mini_app):
    form_url = "http://testserver/help/acme/new/experience/"
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/help/acme/new/experience/",
        {"issue_type": "experience.crash", "details": "It crashes."},
        HTTP_ACCEPT_LANGUAGE="es",
        HTTP_REFERER=form_url,
    )
    assert response.status_code == 403
    page = page_of(response)
    assert "<h1>Este formulario ha caducado</h1>" in page
    assert "No se envió nada." in page
    assert f'<a href="{form_url}">Abrir el formulario de nuevo</a>' in page
    assert '<a href="/help/acme/">Volver al centro de ayuda</a>' in page
    assert STYLESHEET in page


@pytest.mark.django_db
def test_an_expired_sign_in_form_shows_the_styled_csrf_page(owner):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/accounts/login/",
        {"username": owner.username, "password": "correct horse battery"},
        HTTP_REFERER="https://evil.example/phish",
    )
    assert response.status_code == 403
    page = page_of(response)
    assert "<h1>This form has expired</h1>" in page
    assert "evil.example" not in page  # the way back is never a foreign page
    assert '<a href="/console/">Go to your mini apps</a>' in page


def test_the_500_page_renders_without_a_database_or_request_context():
    # No django_db mark: any query here fails the test.
    # The language is the one LocaleMiddleware activated for the failed request.
    with translation.override("es"):
        response = server_error(RequestFactory().get("/help/acme/new/payment/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert 'lang="es"' in page
    assert "<h1>Algo salió mal por nuestra parte</h1>" in page
    assert STYLESHEET in page
    assert '<a href="/help/acme/">Volver al centro de ayuda</a>' in page


@pytest.mark.django_db
def test_a_404_for_a_report_link_does_not_repeat_its_id_or_key(visitor, make_report):
    report = make_report()
    response = visitor.get(f"/help/acme/tickets/{report.report_id}/?key=wrong-key")
    assert response.status_code == 404
    page = page_of(response)
    assert report.report_id not in page and "wrong-key" not in page
    assert '<input name="next" type="hidden" value="/help/acme/">' in page
