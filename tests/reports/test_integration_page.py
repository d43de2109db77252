"""The Integration page: every member reads it; links and test reports for owners and handlers."""

import html
import re

import pytest
from django.urls import reverse

from reports.models import AppEvent, Report

pytestmark = pytest.mark.django_db

URL = "/console/acme/integration/"
SIGNED_IN = "Reporting as a signed-in user"


def signed_link_from(page: str) -> str:
    value = re.search(r'id="signed-link-value"[^>]*value="([^"]+)"', page)
    value = value or re.search(r'value="([^"]+)"[^>]*id="signed-link-value"', page)
    return html.unescape(value.group(1))


@pytest.mark.parametrize("member", ["owner", "teammate", "viewer"])
def test_every_member_reads_the_quick_start(client, request, member):
    client.force_login(request.getfixturevalue(member))
    response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "http://127.0.0.1:8000/api/v1/apps/acme/reports" in page
        or "/api/v1/apps/acme/reports" in page
    )
    for language in ("curl", "Python", "Node"):
        assert f"<h3>{language}</h3>" in page
    assert 'href="/api/v1/openapi.json"' in page
    assert "s3cret" not in page
    # Only owners see the secret's controls.
    assert ("Rotate the signing secret" in page) == (member == "owner")


def test_the_generated_link_opens_the_help_center_signed_in(client, owner):
    client.force_login(owner)
    page = client.get(URL, {"open_id": "oid-42"}).content.decode()
    link = signed_link_from(page)
    assert "/help/acme/?open_id=oid-42&ts=" in link
    reporter = client.__class__()
    path = "/" + link.split("/", 3)[3]
    home = reporter.get(path).content.decode()
    form_link = re.search(r'href="(/help/acme/new/experience/\?[^"]+)"', home).group(1)
    form = reporter.get(html.unescape(form_link)).content.decode()
    assert SIGNED_IN in form


def test_a_handler_generates_links_a_viewer_cannot(client, teammate, viewer):
    client.force_login(teammate)
    assert "/help/acme/?open_id=oid-1" in html.unescape(
        client.get(URL, {"open_id": "oid-1"}).content.decode()
    )
    client.force_login(viewer)
    page = client.get(URL).content.decode()
    assert "Generate a signed link" not in page and "Send a test report</button>" not in page
    response = client.get(URL, {"open_id": "oid-1"})
    assert response.status_code == 403 and b"sig=" not in response.content


def test_an_empty_open_id_is_refused_with_a_message(client, owner):
    client.force_login(owner)
    response = client.get(URL, {"open_id": ""})
    assert response.status_code == 422
    assert "Enter an Open ID to sign." in response.content.decode()


def test_a_test_report_is_a_real_report_marked_as_a_test(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(reverse("reports:test_report", args=["acme"]), follow=True)
    report = Report.objects.get()
    assert report.source == Report.Source.CONSOLE_TEST
    assert report.details.startswith("TEST REPORT sent by owner@acme.example")
    assert report.status == "pending" and report.due_at
    page = response.content.decode()
    assert f"Test report {report.report_id} filed" in page
    assert "Test from the console" in page  # the panel says where it came from
    event = AppEvent.objects.get(kind=AppEvent.Kind.TEST_REPORT_SENT)
    assert (event.actor, event.data) == (owner, {"report": report.report_id})
    listing = client.get("/console/acme/reports/").content.decode()
    assert report.report_id in listing


def test_a_viewer_cannot_send_a_test_report(client, viewer):
    client.force_login(viewer)
    assert client.post(reverse("reports:test_report", args=["acme"])).status_code == 403
    assert not Report.objects.exists()


def test_an_outsider_gets_a_404(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 404
    assert client.post(reverse("reports:test_report", args=["acme"])).status_code == 404
