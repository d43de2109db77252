"""The hooks other pages include: the status page's appeal section, the console nav link."""

import pytest
from django.template import Context, Template

from appeals.services import appeal_overturn, appeal_uphold
from reports.models import Category

from .conftest import appeal_url

pytestmark = pytest.mark.django_db


def status_section(report) -> str:
    template = Template("{% load appeals_tags %}{% appeal_status report %}")
    return template.render(Context({"report": report}))


def test_a_handled_payment_report_offers_the_appeal_link(resolved_report):
    html = status_section(resolved_report)
    assert "Not satisfied? Appeal this decision" in html
    assert f'href="{appeal_url(resolved_report)}"' in html


def test_other_cases_explain_why_not(make_report, owner):
    assert "payment and order reports only" in status_section(make_report(Category.EXPERIENCE))
    pending = status_section(make_report(Category.PAYMENT))
    assert "still being handled" in pending
    assert "Appeal this decision" not in pending


def test_an_open_appeal_shows_the_support_email(resolved_report, make_appeal):
    make_appeal(resolved_report)
    html = status_section(resolved_report)
    assert "Appeal received" in html
    assert "You can also reach the developer at" in html and "help@acme.example" in html
    assert "Appeal this decision" not in html


def test_the_outcome_and_reply_are_shown(resolved_report, make_appeal, owner):
    appeal_uphold(appeal=make_appeal(resolved_report), actor=owner, reply="We checked: paid.")
    html = status_section(resolved_report)
    assert "the decision stands" in html and "We checked: paid." in html
    assert "help@acme.example" in html
    assert "Refund sent on the 3rd" not in html  # internal notes


def test_an_overturn_shows_the_new_status(handled_report, make_appeal, owner):
    report = handled_report("dismissed")
    appeal = appeal_overturn(
        appeal=make_appeal(report), actor=owner, reply="Refund issued.", new_status="resolved"
    )
    html = status_section(appeal.report)
    assert "the decision was overturned" in html
    assert "Your report is now <strong>Resolved</strong>" in html
    assert "Refund issued." in html


def test_the_nav_link_shows_the_open_count(mini_app, resolved_report, make_appeal):
    template = Template("{% load appeals_tags %}{% appeals_nav_link mini_app %}")
    assert "badge" not in template.render(Context({"mini_app": mini_app}))
    make_appeal(resolved_report)
    html = template.render(Context({"mini_app": mini_app}))
    assert 'href="/console/acme/appeals/"' in html
    assert '<span class="badge" aria-label="1 open">1</span>' in html


def test_the_status_section_speaks_the_reporters_language(resolved_report, make_appeal):
    from django.utils import translation

    with translation.override("es"):
        assert "¿No estás conforme? Apela esta decisión" in status_section(resolved_report)
        make_appeal(resolved_report)
        html = status_section(resolved_report)
    assert "Apelación recibida" in html
    assert "También puedes escribir al desarrollador a" in html
