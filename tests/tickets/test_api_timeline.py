"""The in-app API's report status carries the reporter's public timeline (replies, decisions
with their reasons, what the reporter added), as documented, and never the team's notes."""

import pytest
from jsonschema import Draft202012Validator

from reports.models import Category
from reports.services import (
    Dismissal,
    report_dismiss,
    report_notes_edit,
    report_reopen,
    report_reply,
    report_resolve,
)
from tests.tickets.api_client import api_get
from tickets.openapi import openapi_spec
from tickets.services import report_information_add

pytestmark = pytest.mark.django_db
NOTE = "Private note 4KQ: customer is a known refund abuser"


def documented_errors(body: dict) -> list[str]:
    spec = openapi_spec()
    schema = {"$ref": "#/components/schemas/Report", "components": spec["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(body)]


def test_the_timeline_is_public_newest_first_and_documented(client, mini_app, make_report, owner):
    report = make_report(Category.PAYMENT)
    report_notes_edit(report=report, actor=owner, notes=NOTE)
    report_information_add(report=report, text="It was order 77.")
    report_reply(report=report, actor=owner, text="Thanks, checking order 77.")
    report.refresh_from_db()
    dismissal = Dismissal("duplicate", duplicate_of=make_report().report_id)
    report = report_dismiss(
        report=report, actor=owner, dismissal=dismissal, reply="Same as before."
    )
    response = api_get(client, mini_app, report.report_id)
    assert response.status_code == 200
    body = response.json()
    assert documented_errors(body) == []
    kinds = [item["kind"] for item in body["timeline"]]
    # The dismissal and the reply sent with it share one time; the reply was written second.
    assert kinds == ["replied", "dismissed", "replied", "information_added", "submitted"]
    texts = {item.get("text") for item in body["timeline"]}
    assert {"Same as before.", "Thanks, checking order 77.", "It was order 77."} <= texts
    [dismissed] = [item for item in body["timeline"] if item["kind"] == "dismissed"]
    assert dismissed["reason"]["code"] == "duplicate"
    assert body["dismiss_reason"] == {
        "code": "duplicate",
        "text": f"Duplicate of another report ({dismissal.duplicate_of})",
        "duplicate_of": dismissal.duplicate_of,
    }
    raw = response.content.decode()
    assert "4KQ" not in raw and "notes" not in raw and owner.email not in raw


def test_the_reason_is_in_the_requests_language(client, mini_app, make_report, owner):
    report = report_dismiss(
        report=make_report(), actor=owner, dismissal=Dismissal("not_reproducible")
    )
    response = api_get(client, mini_app, report.report_id)
    assert response.json()["dismiss_reason"]["text"] == "Not reproducible"
    from tests.tickets.api_client import signed_headers

    headers = signed_headers(mini_app.signing_secret, b"")
    spanish = client.get(
        f"/api/v1/apps/acme/reports/{report.report_id}", HTTP_ACCEPT_LANGUAGE="es", **headers
    )
    assert spanish.json()["dismiss_reason"]["text"] == "No se pudo reproducir"


def test_a_pending_or_resolved_report_has_no_reason(client, mini_app, make_report, owner):
    report = report_dismiss(report=make_report(), actor=owner, dismissal=Dismissal("spam"))
    report = report_reopen(report=report, actor=owner)
    body = api_get(client, mini_app, report.report_id).json()
    assert body["dismiss_reason"] is None
    assert [item["kind"] for item in body["timeline"]][0] == "reopened"
    report = report_resolve(report=report, actor=owner)
    body = api_get(client, mini_app, report.report_id).json()
    assert body["dismiss_reason"] is None and body["timeline"][0]["kind"] == "resolved"
    assert documented_errors(body) == []
