"""The handling panel: every field, notes with history, resolve/dismiss/reopen, stale refusals."""

import re

import pytest
from django.urls import reverse

from reports.models import Category, ReportEvent, Status
from reports.services import Dismissal, report_dismiss, report_notes_edit, report_resolve

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true", "HX-Target": "panel"}


def url(report, name="report_detail"):
    return reverse(f"reports:{name}", args=[report.mini_app.slug, report.report_id])


@pytest.fixture
def member(client, owner):
    client.force_login(owner)
    return owner


def post(client, report, action, htmx=True, **data):
    fields = {"version": report.version, "notes": report.notes, **data}
    if action == "dismiss":
        fields.setdefault("reason", "not_reproducible")
    return client.post(url(report, f"report_{action}"), fields, headers=HTMX if htmx else {})


def test_panel_shows_every_field_and_the_screenshots(client, member, make_report, screenshot):
    report = make_report(
        Category.PAYMENT,
        details="Charged twice <b>today</b>",
        open_id="ou_42",
        contact_email="buyer@example.net",
        screenshots=[screenshot],
    )
    html = client.get(url(report)).content.decode()
    assert "<html" in html  # its own URL is a full page
    for text in (
        report.report_id,
        "Charged twice &lt;b&gt;today&lt;/b&gt;",
        "ou_42",
        "ORD-1",
        "buyer@example.net",
        "Refund request",
        "Payment and orders",
        "Report received",
    ):
        assert text in html
    shot = report.screenshots.get()
    image_url = reverse("reports:screenshot", args=["acme", report.report_id, shot.pk])
    assert f'src="{image_url}"' in html
    assert client.get(image_url)["Content-Type"] == "image/png"
    fragment = client.get(url(report), headers=HTMX).content.decode()
    assert "<html" not in fragment and "Save notes" in fragment


def test_saving_notes_keeps_every_version_with_author(client, member, teammate, make_report):
    report = make_report()
    response = post(client, report, "notes", notes="First look: cannot reproduce.")
    assert response.status_code == 200
    assert "Notes saved." in response.content.decode()
    report.refresh_from_db()
    post(client, report, "notes", notes="Reproduced on Android 14.")
    edits = ReportEvent.objects.filter(report=report, kind="notes_edited").order_by("id")
    assert [(e.actor, e.data["notes"]) for e in edits] == [
        (member, "First look: cannot reproduce."),
        (member, "Reproduced on Android 14."),
    ]
    html = client.get(url(report)).content.decode()
    assert "First look: cannot reproduce." in html and "Reproduced on Android 14." in html


def test_notes_stay_editable_after_resolving(client, member, make_report):
    report = make_report()
    response = post(client, report, "resolve", notes="Refund issued.")
    html = response.content.decode()
    assert "Report resolved." in html
    assert f"Resolved by {member.username}" in html
    # The list row beside the panel is swapped too.
    assert re.search(rf'<tr id="row-{report.report_id}"[^>]* hx-swap-oob="true">', html)
    report.refresh_from_db()
    assert (report.status, report.notes, report.handled_by) == (
        Status.RESOLVED,
        "Refund issued.",
        member,
    )
    assert (
        post(client, report, "notes", notes="Refund issued. Customer confirmed.").status_code == 200
    )
    report.refresh_from_db()
    assert report.notes == "Refund issued. Customer confirmed."
    assert report.status == Status.RESOLVED
    kinds = list(report.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["submitted", "notes_edited", "resolved", "notes_edited"]


def test_a_handled_report_can_be_reopened(client, member, make_report):
    report = make_report()
    report = report_dismiss(report=report, actor=member, dismissal=Dismissal("not_reproducible"))
    html = post(client, report, "reopen").content.decode()
    assert "Report reopened" in html
    report.refresh_from_db()
    assert report.status == Status.PENDING
    assert "Resolve" in html and "Dismiss" in html


def test_a_stale_notes_save_is_refused_and_keeps_your_text(client, member, teammate, make_report):
    report = make_report()
    stale_version = report.version
    report_notes_edit(report=report, actor=teammate, notes="Teammate's findings.")
    response = post(client, report, "notes", version=stale_version, notes="My findings.")
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not saved" in html and teammate.username in html
    assert "Teammate&#x27;s findings." in html  # the current state
    assert "My findings." in html  # the developer's text, still in the editor
    report.refresh_from_db()
    assert report.notes == "Teammate's findings."
    # The editor now carries the current version: saving again is a deliberate overwrite.
    version = re.search(r'name="version" value="(\d+)"', html)[1]
    assert int(version) == report.version


def test_resolving_what_someone_just_dismissed_says_who(client, member, teammate, make_report):
    report = make_report()
    seen_version = report.version
    report_dismiss(report=report, actor=teammate, dismissal=Dismissal("not_reproducible"))
    response = post(client, report, "resolve", version=seen_version)
    html = response.content.decode()
    assert response.status_code == 409
    assert f"already dismissed by {teammate.username}" in html
    report.refresh_from_db()
    assert report.status == Status.DISMISSED and report.handled_by == teammate


def test_without_javascript_an_action_redirects_back_to_the_panel(client, member, make_report):
    report = make_report()
    response = post(client, report, "dismiss", htmx=False)
    assert response.status_code == 302 and response["Location"] == url(report)
    assert "Report dismissed." in client.get(response["Location"]).content.decode()


def test_an_invalid_form_explains_itself(client, member, make_report):
    report = make_report()
    response = client.post(url(report, "report_notes"), {"notes": "x" * 20001}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "This page is out of date" in html
    assert "at most 20,000 characters" in html
    report.refresh_from_db()
    assert report.notes == "" and report.version == 1


def test_resolve_of_a_report_resolved_elsewhere_leaves_it(client, member, teammate, make_report):
    report = make_report()
    report_resolve(report=report, actor=teammate, notes="Done by teammate.")
    response = post(client, report, "dismiss", version=1, notes="My note")
    assert response.status_code == 409
    report.refresh_from_db()
    assert report.notes == "Done by teammate." and report.status == Status.RESOLVED
