"""What appeals adds to pages reports and tickets serve (reports.hooks, filled in
AppealsConfig.ready()): the status page's appeal box and the console's Appeals link. The
views read their data through the selectors; the templates render without a query."""

import pytest
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from appeals.services import appeal_overturn, appeal_uphold
from reports.models import Category, Report

from .conftest import appeal_url

pytestmark = pytest.mark.django_db


def get_counting_template_queries(client, url: str, template_name: str):
    """GET `url`; the response and the queries run while `template_name` rendered (the test
    renderer signals a template just before it renders it)."""
    started = []

    def on_render(sender, template, context, **kwargs):
        if template.name == template_name and not started:
            started.append(len(queries.captured_queries))

    template_rendered.connect(on_render)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
    finally:
        template_rendered.disconnect(on_render)
    assert response.status_code == 200 and started
    return response, [q["sql"] for q in queries.captured_queries[started[0] :]]


def status_page(client, report: Report) -> str:
    response, in_template = get_counting_template_queries(
        client, report.reporter_path("tickets:report_status"), "tickets/report_status.html"
    )
    assert in_template == []
    return response.content.decode()


def test_a_handled_payment_report_offers_the_appeal_link(client, resolved_report):
    html = status_page(client, resolved_report)
    assert "Not satisfied? Appeal this decision" in html
    assert f'href="{appeal_url(resolved_report)}"' in html


def test_other_cases_explain_why_not(client, make_report, owner, handled_report):
    experience = status_page(client, make_report(Category.EXPERIENCE))
    assert 'id="appeal-heading"' not in experience  # no appeal box: not a payment report
    pending = status_page(client, make_report(Category.PAYMENT))
    assert "still being handled" in pending
    assert "Appeal this decision" not in pending


def test_an_open_appeal_shows_the_support_email(client, resolved_report, make_appeal):
    make_appeal(resolved_report)
    html = status_page(client, resolved_report)
    assert "Appeal received" in html
    assert "You can also reach the developer at" in html and "help@acme.example" in html
    assert "Appeal this decision" not in html


def test_the_outcome_and_reply_are_shown(client, resolved_report, make_appeal, owner):
    appeal_uphold(appeal=make_appeal(resolved_report), actor=owner, reply="We checked: paid.")
    html = status_page(client, resolved_report)
    assert "the decision stands" in html and "We checked: paid." in html
    assert "help@acme.example" in html
    assert "Refund sent on the 3rd" not in html  # internal notes


def test_an_overturn_shows_the_new_status(client, handled_report, make_appeal, owner):
    report = handled_report("dismissed")
    appeal = appeal_overturn(
        appeal=make_appeal(report), actor=owner, reply="Refund issued.", new_status="resolved"
    )
    html = status_page(client, appeal.report)
    assert "the decision was overturned" in html
    assert "Your report is now <strong>Resolved</strong>" in html
    assert "Refund issued." in html


def test_the_status_box_speaks_the_reporters_language(client, resolved_report, make_appeal):
    with translation.override("es"):
        client.cookies["django_language"] = "es"
        assert "¿No estás conforme? Apela esta decisión" in status_page(client, resolved_report)
        make_appeal(resolved_report)
        html = status_page(client, resolved_report)
    assert "Apelación recibida" in html
    assert "También puedes escribir al desarrollador a" in html


@pytest.mark.parametrize(
    ("url_name", "template_name"),
    [
        ("reports:report_list", "reports/report_list.html"),
        ("appeals:appeal_list", "appeals/appeal_list.html"),
        ("reports:notification_preferences", "reports/preferences.html"),
    ],
)
def test_the_console_nav_shows_the_open_count_without_a_template_query(
    client, owner, mini_app, resolved_report, make_appeal, url_name, template_name
):
    client.force_login(owner)
    url = reverse(url_name, kwargs={"app_slug": mini_app.slug})
    response, in_template = get_counting_template_queries(client, url, template_name)
    html = response.content.decode()
    assert in_template == []
    assert 'href="/console/acme/appeals/"' in html
    assert 'aria-label="1 open"' not in html
    make_appeal(resolved_report)
    response, in_template = get_counting_template_queries(client, url, template_name)
    assert in_template == []
    assert '<span class="badge" aria-label="1 open">1</span>' in response.content.decode()
