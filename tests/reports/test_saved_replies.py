"""Saved replies: per-app canned replies managed by owners and handlers, with placeholders,
inserted into the panel's reply box (nothing sent until the developer sends it)."""

import pytest
from django.urls import reverse

from reports.models import OutboundEmail, ReportEvent, SavedReply
from reports.roles import RoleRequired
from reports.services import ReportRuleError, saved_reply_delete, saved_reply_save

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
BODY = "Hi! Thanks for report {report_id} about {issue_type} in {app_name}. {unknown} stays."


def url(name, *args):
    return reverse(f"reports:{name}", args=["acme", *args])


def test_placeholders_are_filled_from_the_report_and_other_braces_stay(
    make_report, mini_app, teammate
):
    report = make_report()
    saved = saved_reply_save(mini_app=mini_app, actor=teammate, title="Thanks", body=BODY)
    assert saved.filled(report) == (
        f"Hi! Thanks for report {report.report_id} about App crashes or freezes in Acme Shop. "
        "{unknown} stays."
    )


def test_handlers_manage_saved_replies_from_the_page(client, teammate, mini_app):
    client.force_login(teammate)
    assert "No saved replies yet" in client.get(url("saved_replies")).content.decode()
    response = client.post(url("saved_replies"), {"title": "Thanks", "body": BODY}, follow=True)
    assert "Saved reply added." in response.content.decode()
    saved = SavedReply.objects.get(mini_app=mini_app)
    client.post(url("saved_reply_edit", saved.pk), {"title": "Thank you", "body": "Thanks!"})
    saved.refresh_from_db()
    assert (saved.title, saved.body) == ("Thank you", "Thanks!")
    response = client.post(url("saved_reply_delete", saved.pk), follow=True)
    assert "deleted" in response.content.decode()
    assert not SavedReply.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "x"}, "Give the saved reply a title"),
        ({"title": "T", "body": "  "}, "Write the text of the reply."),
        ({"title": "T", "body": "x" * 5001}, "at most 5,000 characters"),
        ({"title": "Line\nbreak", "body": "x"}, "Use visible characters only"),
        ({"title": "Existing", "body": "x"}, "A saved reply with this title exists already"),
    ],
)
def test_a_refused_saved_reply_says_why_and_stores_nothing(client, owner, mini_app, data, message):
    saved_reply_save(mini_app=mini_app, actor=owner, title="Existing", body="Kept.")
    client.force_login(owner)
    response = client.post(url("saved_replies"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert list(SavedReply.objects.values_list("title", "body")) == [("Existing", "Kept.")]


def test_a_viewer_reads_saved_replies_and_changes_nothing(client, viewer, owner, mini_app):
    saved = saved_reply_save(mini_app=mini_app, actor=owner, title="Thanks", body="Thanks!")
    with pytest.raises(RoleRequired):
        saved_reply_save(mini_app=mini_app, actor=viewer, title="Mine", body="x")
    with pytest.raises(RoleRequired):
        saved_reply_delete(saved_reply=saved, actor=viewer)
    client.force_login(viewer)
    page = client.get(url("saved_replies")).content.decode()
    assert "Thanks!" in page and "Add saved reply" not in page
    assert client.post(url("saved_replies"), {"title": "X", "body": "y"}).status_code == 403
    assert client.post(url("saved_reply_delete", saved.pk)).status_code == 403
    assert SavedReply.objects.count() == 1


def test_another_apps_saved_reply_is_a_404(client, owner, outsider, other_app, mini_app):
    foreign = saved_reply_save(mini_app=other_app, actor=outsider, title="Theirs", body="x")
    client.force_login(owner)
    assert client.get(url("saved_reply_edit", foreign.pk)).status_code == 404
    assert client.post(url("saved_reply_delete", foreign.pk)).status_code == 404
    with pytest.raises(ReportRuleError):
        saved_reply_save(
            mini_app=mini_app, actor=owner, title="Taken", body="y", saved_reply=foreign
        )
    assert SavedReply.objects.get(pk=foreign.pk).title == "Theirs"


def test_inserting_puts_the_filled_reply_after_what_is_typed_and_sends_nothing(
    client, teammate, mini_app, make_report
):
    report = make_report(contact_email="r@example.net")
    saved = saved_reply_save(mini_app=mini_app, actor=teammate, title="Thanks", body=BODY)
    client.force_login(teammate)
    page = client.get(url("report_detail", report.report_id)).content.decode()
    assert "Insert saved reply" in page and ">Thanks</option>" in page
    response = client.post(
        url("report_insert_reply", report.report_id),
        {
            "version": report.version,
            "notes": "My unsaved note",
            "reply": "Hello,",
            "saved_reply": saved.pk,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Hello,\n\nHi! Thanks for report {report.report_id} about" in body
    assert "Saved reply inserted" in body and "My unsaved note" in body
    assert not report.events.exclude(kind=ReportEvent.Kind.SUBMITTED).exists()
    assert not OutboundEmail.objects.exists()
    report.refresh_from_db()
    assert report.notes == ""


def test_inserting_another_apps_saved_reply_is_a_404(
    client, owner, outsider, other_app, make_report
):
    report = make_report()
    foreign = saved_reply_save(mini_app=other_app, actor=outsider, title="Theirs", body="Secret")
    client.force_login(owner)
    response = client.post(
        url("report_insert_reply", report.report_id),
        {"version": report.version, "saved_reply": foreign.pk},
    )
    assert response.status_code == 404 and "Secret" not in response.content.decode()
