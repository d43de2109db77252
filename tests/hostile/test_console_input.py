"""Hostile values sent to the developer console: the panel's notes and its four buttons (as a
page and as an HTMX swap), the list's search, filters, sort and paging parameters (page, HTMX
fragment and CSV export), bulk actions, notification preferences, the timezone picker, the
appeals queue and the appeal decision. Never a 500; a refusal shows its message and changes
nothing; a success stores exactly what was sent (after the documented normalisation)."""

import unicodedata

import pytest
from django.contrib.messages import get_messages
from django.http import QueryDict
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import event, example, given
from hypothesis import strategies as st

from appeals.models import Appeal
from appeals.services import appeal_submit
from reports.forms import BIDI_CONTROLS, REPORT_ID_SHAPE, BulkActionForm, ReportActionForm
from reports.models import (
    Category,
    DismissReason,
    MemberPreferences,
    Membership,
    OutboundEmail,
    Report,
    ReportEvent,
    SavedReply,
    Status,
)
from reports.selectors import report_filter
from reports.services import report_resolve

from .checks import assert_errors_shown, assert_not_server_error, body, char_field_ok, stripped
from .strategies import few_examples, hostile_field, hostile_settings, hostile_text

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BULK_REASONS = {value for value, _label in BulkActionForm.base_fields["reason"].choices if value}


@pytest.fixture
def member_client(client, owner):
    client.force_login(owner)
    return client


def notes_normalised(notes: str) -> str:
    """ReportActionForm keeps the notes as typed (strip=False) but for browser line endings
    and trailing blank space (clean_notes)."""
    return notes.replace("\r\n", "\n").rstrip()


@pytest.mark.parametrize("action", ["notes", "resolve", "dismiss", "reopen"])
@hostile_settings
@given(
    notes=st.one_of(hostile_field(20000), st.just("")),
    version=st.one_of(st.none(), st.none(), hostile_text),
    htmx=st.booleans(),
)
@example(notes="a\x00b", version=None, htmx=False)
def test_panel_actions(member_client, make_report, owner, action, notes, version, htmx):
    report = make_report(details="Hostile notes target.")
    if action == "reopen":
        report = report_resolve(report=report, actor=owner, notes="")
    before = Report.objects.values_list("version", "status", "notes").get(pk=report.pk)
    data = {"version": report.version if version is None else version, "notes": notes}
    if action == "dismiss":
        data["reason"] = "not_reproducible"

    response = member_client.post(
        f"/console/acme/reports/{report.report_id}/{action}/", data, **(HTMX if htmx else {})
    )

    assert_not_server_error(response)
    event(f"status {response.status_code}")
    notes_ok = "\x00" not in notes and len(notes) <= 20000
    version_ok = version is None or (stripped(version).isdigit() and int(stripped(version)) >= 1)
    after = Report.objects.get(pk=report.pk)
    if response.status_code == 422:
        assert not (notes_ok and version_ok)
        errors = assert_errors_shown(response, form=ReportActionForm(data))
        assert ("notes" in errors) == (not notes_ok)
        assert Report.objects.values_list("version", "status", "notes").get(pk=report.pk) == (
            before
        )
        return
    if response.status_code == 409:  # a stale (other) version number: refused, explained
        assert version is not None
        assert "Not saved" in body(response) or "already" in body(response)
        return
    assert notes_ok and version_ok, response.status_code
    assert response.status_code == (200 if htmx else 302) or "have not changed" in body(response)
    expected_notes = notes_normalised(notes)
    if action == "reopen" and expected_notes == "":
        expected_notes = before[2]  # reopening with an empty editor keeps the notes
    assert after.notes == expected_notes
    expected_status = {
        "notes": before[1],
        "resolve": Status.RESOLVED,
        "dismiss": Status.DISMISSED,
        "reopen": Status.PENDING,
    }
    assert after.status == expected_status[action]


def reply_normalised(reply: str) -> str:
    return stripped(reply).replace("\r\n", "\n").strip()


@hostile_settings
@given(reply=st.one_of(hostile_field(5000), st.just("")), htmx=st.booleans())
@example(reply="<script>alert(1)</script>", htmx=True)
def test_panel_reply(member_client, make_report, reply, htmx):
    report = make_report(details="Hostile reply target.", contact_email="r@example.net")
    emails_before = OutboundEmail.objects.count()
    data = {"version": report.version, "notes": "", "reply": reply}

    response = member_client.post(
        f"/console/acme/reports/{report.report_id}/reply/", data, **(HTMX if htmx else {})
    )

    assert_not_server_error(response)
    reply_ok = char_field_ok(reply, 5000) and bool(reply_normalised(reply))
    replies = report.events.filter(kind=ReportEvent.Kind.REPLIED)
    if response.status_code == 422:
        assert not reply_ok
        errors = assert_errors_shown(response, form=ReportActionForm(data, action="reply"))
        assert set(errors) == {"reply"}
        assert not replies.exists() and OutboundEmail.objects.count() == emails_before
        return
    assert reply_ok and response.status_code == (200 if htmx else 302)
    assert [e.data["text"] for e in replies] == [reply_normalised(reply)]
    assert OutboundEmail.objects.count() == emails_before + 1
    if htmx:
        assert escape(reply_normalised(reply)) in body(response)


@hostile_settings
@given(
    reason=st.one_of(st.sampled_from(DismissReason.values), hostile_text, st.just("")),
    duplicate_of=st.one_of(st.just("REAL"), hostile_field(16), st.just("")),
    reason_text=st.one_of(hostile_field(500), st.just("")),
)
def test_dismiss_reason(member_client, make_report, reason, duplicate_of, reason_text):
    original = make_report(details="The original.")
    report = make_report(details="Hostile dismissal target.")
    if duplicate_of == "REAL":
        duplicate_of = original.report_id.lower()
    data = {
        "version": report.version,
        "notes": "",
        "reason": reason,
        "duplicate_of": duplicate_of,
        "reason_text": reason_text,
    }

    response = member_client.post(f"/console/acme/reports/{report.report_id}/dismiss/", data)

    assert_not_server_error(response)
    after = Report.objects.get(pk=report.pk)
    if response.status_code == 422:
        assert after.status == Status.PENDING and after.version == report.version
        page = body(response)
        form = ReportActionForm(data, action="dismiss")
        if not form.is_valid():
            assert_errors_shown(response, form=form)
        else:  # refused by the service's rule (a duplicate of no report of this app)
            assert "not a report of this mini app" in page or "cannot be a duplicate" in page
        return
    assert response.status_code == 302
    assert after.status == Status.DISMISSED and after.dismiss_reason == reason
    if reason == DismissReason.DUPLICATE:
        assert after.duplicate_of == original.report_id
    if reason == DismissReason.OTHER:
        assert after.dismiss_reason_text == stripped(reason_text)


@hostile_settings
@given(title=st.one_of(hostile_field(100), st.just("")), body_text=hostile_field(5000))
def test_saved_reply_form(member_client, mini_app, title, body_text):
    SavedReply.objects.filter(mini_app=mini_app).delete()  # each example starts empty
    data = {"title": title, "body": body_text}

    response = member_client.post("/console/acme/saved-replies/", data)

    assert_not_server_error(response)
    title_ok = char_field_ok(title, 100) and not any(
        unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in stripped(title)
    )
    body_ok = char_field_ok(body_text, 5000)
    if response.status_code == 302:
        assert title_ok and body_ok
        saved = SavedReply.objects.get(mini_app=mini_app)
        assert saved.title == stripped(title)
        assert saved.body == stripped(body_text).replace("\r\n", "\n").strip()
        return
    assert response.status_code == 422
    errors = assert_errors_shown(response)
    assert ("title" in errors) == (not title_ok)
    assert ("body" in errors) == (not body_ok)
    assert not SavedReply.objects.filter(mini_app=mini_app).exists()


LIST_PARAMS = (
    "q",
    "status",
    "category",
    "issue_type",
    "past_due",
    "reported_from",
    "reported_to",
    "ordering",
    "after",
    "before",
    "page",
)


@hostile_settings
@given(
    params=st.dictionaries(
        st.sampled_from(LIST_PARAMS), st.one_of(hostile_field(200), st.just("")), max_size=4
    ),
    htmx=st.booleans(),
)
@example(params={"after": "\x00"}, htmx=False)
@example(params={"before": "A\x00"}, htmx=True)
@example(params={"q": "\x00"}, htmx=False)
@example(params={"q": "'a':* & !"}, htmx=False)
def test_report_list_parameters(member_client, mini_app, make_report, params, htmx):
    if not Report.objects.exists():
        make_report(details="<script>alert(1)</script> list target")

    response = member_client.get("/console/acme/reports/", params, **(HTMX if htmx else {}))

    assert_not_server_error(response)
    assert response.status_code == 200
    page = body(response)
    query = QueryDict(mutable=True)
    query.update(params)
    refused = report_filter(mini_app=mini_app, params=query).errors
    for messages in refused.values():
        for message in messages:
            assert escape(message) in page  # a refused filter says why
    # The search box shows exactly what was searched for, escaped.
    if not htmx:
        assert f'name="q" id="id_q" value="{escape(params.get("q", ""))}"' in page

    export = member_client.get("/console/acme/reports/export.csv", params)
    assert_not_server_error(export)
    assert export.status_code == 200
    assert body(export).startswith("\ufeffReport ID,")


@hostile_settings
@given(
    action=st.one_of(st.sampled_from(["resolve", "dismiss"]), hostile_text),
    # Often just the report itself, so valid requests with hostile notes are common too.
    selected=st.one_of(
        st.just(["REAL"]), st.lists(st.one_of(st.just("REAL"), hostile_text), max_size=3)
    ),
    all_matching=st.one_of(st.just(""), st.just("on"), hostile_text),
    query=st.one_of(st.just(""), hostile_field(2000), st.just("q=%00&status=pending")),
    note=st.one_of(st.just(""), hostile_field(5000)),
    # Dismiss needs a reason; the list offers all but Duplicate and Other (per report only).
    reason=st.one_of(
        st.just("not_reproducible"), st.sampled_from(DismissReason.values), hostile_text
    ),
)
@example(action="resolve", selected=["REAL"], all_matching="", query="", note="=cmd\x00", reason="")
@example(
    action="resolve", selected=[], all_matching="on", query="q=%00&after=%00", note="", reason=""
)
@example(
    action="dismiss",
    selected=["REAL"],
    all_matching="",
    query="",
    note=" =cmd \u202e<b>",
    reason="spam",
)
def test_bulk_action(
    member_client, make_report, action, selected, all_matching, query, note, reason
):
    report = make_report(details="Bulk target.")
    Report.objects.exclude(pk=report.pk).delete()
    data = {
        "action": action,
        "selected": [report.report_id if s == "REAL" else s for s in selected],
        "all_matching": all_matching,
        "query": query,
        "note": note,
        "reason": reason,
    }

    response = member_client.post("/console/acme/reports/bulk/", data)

    assert_not_server_error(response)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/acme/reports/?")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown, "a bulk action always says what it did or why it did not"
    after = Report.objects.get(pk=report.pk)
    # Valid input naming the report by ID (without "all matching") must decide it, not just
    # say something: BulkActionForm's own rules, field by field.
    ids = [value.strip() for value in data["selected"] if value.strip()]
    must_apply = (
        action in ("resolve", "dismiss")
        and report.report_id in ids
        and all(REPORT_ID_SHAPE.match(value) for value in ids)
        and all_matching.lower() in ("", "false", "0")  # CheckboxInput: not ticked
        and char_field_ok(query, 2000, required=False)
        and char_field_ok(note, 5000, required=False)
        and (reason == "" and action == "resolve" or reason in BULK_REASONS)
    )
    event(f"must apply: {must_apply}")
    if after.status == Status.PENDING:
        assert not must_apply, f"valid bulk {action} did nothing: {shown}"
        assert after.notes == "" and after.version == report.version
        return
    assert action in ("resolve", "dismiss") and char_field_ok(note, 5000, required=False)
    assert after.notes == stripped(note)
    assert after.dismiss_reason == (reason if action == "dismiss" else "")


@hostile_settings
@given(
    past_due=st.one_of(st.just("on"), st.just(""), hostile_text),
    summary=st.one_of(st.just("on"), st.just(""), hostile_text),
    hour=st.one_of(st.sampled_from(["0", "23", "24", "-1", "8.5", ""]), hostile_text),
)
def test_notification_preferences(member_client, owner, past_due, summary, hour):
    before = Membership.objects.get(user=owner).email_past_due
    response = member_client.post(
        "/console/acme/notifications/",
        {
            "email_past_due": past_due,
            "daily_summary": summary,
            "daily_summary_hour": hour,
            "timezone_name": "Europe/Madrid",
        },
    )
    assert_not_server_error(response)
    membership = Membership.objects.get(user=owner)
    if hour not in {str(n) for n in range(24)}:
        assert response.status_code == 422  # refused with a human message, nothing stored
        assert "from 00:00 to 23:00" in response.content.decode()
        assert membership.email_past_due == before
        return
    assert response.status_code == 302

    def checked(value: str) -> bool:  # forms.CheckboxInput's reading of a posted value
        return value.lower() not in ("", "false", "0")

    assert membership.email_past_due == checked(past_due)
    preferences = MemberPreferences.objects.get(user=owner)
    assert preferences.daily_summary == checked(summary)
    assert preferences.daily_summary_hour == int(hour)
    assert preferences.timezone_name == "Europe/Madrid"


@hostile_settings
@given(zone=st.one_of(st.just("Asia/Tokyo"), hostile_text), next_url=hostile_text)
def test_timezone_picker(member_client, zone, next_url):
    response = member_client.post("/console/timezone/", {"timezone": zone, "next": next_url})
    assert_not_server_error(response)
    if response.status_code == 302:
        assert zone == "Asia/Tokyo"
        # Back where the developer came from, and never off this site.
        location = response["Location"]
        assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}), location
        return
    assert response.status_code == 200
    assert "timezone" in assert_errors_shown(response)


@few_examples
@given(next_url=hostile_text)
@example(next_url="javascript:alert(1)")
def test_timezone_picker_cancel_link(member_client, next_url):
    response = member_client.get("/console/timezone/", {"next": next_url})
    assert_not_server_error(response)
    assert response.status_code == 200
    cancel = response.context["next"]
    assert url_has_allowed_host_and_scheme(cancel, allowed_hosts={"testserver"}), cancel
    assert f'<a href="{escape(cancel)}">Cancel</a>' in body(response)


@hostile_settings
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "state", "appealed_status", "past_due", "o", "page"]),
        hostile_field(200),
        max_size=3,
    ),
    htmx=st.booleans(),
)
@example(params={"q": "\x00"}, htmx=False)
def test_appeals_queue_parameters(member_client, params, htmx):
    response = member_client.get("/console/acme/appeals/", params, **(HTMX if htmx else {}))
    assert_not_server_error(response)
    assert response.status_code == 200


@pytest.fixture
def open_appeal(make_report, owner):
    def make() -> Appeal:
        report = make_report(Category.PAYMENT, contact_email="payer@example.net")
        report = report_resolve(report=report, actor=owner, notes="Refund sent.")
        return appeal_submit(
            report=report, contact_email="payer@example.net", reason="The refund never came."
        )

    return make


@hostile_settings
@given(
    decision=st.one_of(st.sampled_from(["uphold", "overturn"]), hostile_text),
    reply=st.one_of(hostile_field(5000), st.just("")),
    new_status=st.one_of(st.sampled_from(["pending", "dismissed", "resolved", ""]), hostile_text),
    version=st.one_of(st.none(), hostile_text),
)
@example(decision="uphold", reply="<script>alert(1)</script>\x00", new_status="", version=None)
def test_appeal_decision(member_client, open_appeal, decision, reply, new_status, version):
    appeal = open_appeal()
    data = {"decision": decision, "reply": reply, "new_status": new_status}
    data["version"] = appeal.report.version if version is None else version

    response = member_client.post(f"/console/acme/appeals/{appeal.pk}/", data)

    assert_not_server_error(response)
    event(f"status {response.status_code}")
    appeal.refresh_from_db()
    if response.status_code == 302:
        assert char_field_ok(reply, 5000)
        assert appeal.state != Appeal.State.OPEN
        assert appeal.reply == stripped(reply)
        return
    assert response.status_code in (400, 409)
    if response.status_code == 400:
        errors = assert_errors_shown(response)
        assert ("reply" in errors) == (not char_field_ok(reply, 5000))
    assert appeal.state == Appeal.State.OPEN and appeal.reply == ""
