"""Request bodies are capped before they are read, everywhere; the console is never cached."""

import pytest
from django.urls import reverse

from reports.models import Category
from reports.services import report_resolve
from tests.tickets.test_limits import raw_request

pytestmark = pytest.mark.django_db

BIG = 200 * 1024 * 1024


def head(path: str, *, length: int | None = BIG, chunked: bool = False) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        "Content-Type: multipart/form-data; boundary=x",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def appeal_path(make_report, owner) -> str:
    report = make_report(Category.PAYMENT, contact_email="reporter@example.net")
    report = report_resolve(report=report, actor=owner, notes="Refund sent.")
    path = reverse("appeals:appeal_new", kwargs={"app_slug": "acme", "report_id": report.report_id})
    return f"{path}?key={report.access_key}"


PAGES = {
    "sign-in": lambda appeal: "/accounts/login/",
    "admin login": lambda appeal: "/admin/login/",
    "console POST": lambda appeal: "/console/acme/reports/bulk/",
    "appeal form": lambda appeal: appeal,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", PAGES, ids=list(PAGES))
def test_an_oversized_body_is_refused_before_it_is_sent(live_server, mini_app, appeal_path, page):
    # 200 MB announced, not a byte sent: a server that read the body first would time out.
    answer = raw_request(live_server, head(PAGES[page](appeal_path)))
    assert answer.startswith(b"HTTP/1.1 413")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", PAGES, ids=list(PAGES))
def test_a_chunked_body_is_refused_before_it_is_sent(live_server, mini_app, appeal_path, page):
    answer = raw_request(live_server, head(PAGES[page](appeal_path), length=None, chunked=True))
    assert answer.startswith(b"HTTP/1.1 411")


def test_a_browser_gets_a_friendly_page(client, mini_app):
    response = client.generic(
        "POST",
        "/accounts/login/",
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(3 * 1024 * 1024),  # what the browser announces
    )
    page = response.content.decode()
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "That was too much to send" in page
    assert "The request is larger than we accept (at most 2.5\xa0MB)." in page


def test_the_api_answers_in_json(client, mini_app):
    response = client.generic(
        "POST",
        "/api/v1/apps/acme/reports",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(BIG),
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_a_help_center_upload_under_the_budget_is_not_refused_by_the_cap(client, mini_app):
    # 20 MB announced: above the site-wide cap, inside the help center's screenshot budget, so
    # the request gets as far as the view (here refused by CSRF checking, the next guard).
    client = type(client)(enforce_csrf_checks=True)
    response = client.generic(
        "POST",
        "/help/acme/new/experience/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(20 * 1024 * 1024),
    )
    assert response.status_code == 403
