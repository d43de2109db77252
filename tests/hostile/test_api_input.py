"""Hostile values sent to the signed JSON API (/api/v1/): as JSON (which can also spell lone
surrogates and wrong types) and as multipart. Never a 500; a refusal is a JSON error naming
the field with a message; a 201 stores exactly what was sent (after the CharField trim)."""

import json
from urllib.parse import quote

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from reports.models import Category, OutboundEmail, Report
from tests.tickets.api_client import api_get, api_post_multipart, signed_headers

from .checks import assert_not_server_error, char_field_ok, stripped
from .strategies import (
    hostile_emails,
    hostile_field,
    hostile_settings,
    hostile_text,
    json_text,
    with_lone_surrogate,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/apps/acme/reports"
ISSUE_TYPES = {"experience": "crash", "payment": "refund", "community": "spam"}

# JSON values of the wrong type, for any field.
wrong_types = st.one_of(
    st.integers(), st.none(), st.booleans(), st.lists(st.text(max_size=3), max_size=2)
)


def _post_json(client, app, body: bytes, **headers):
    extra = signed_headers(app.signing_secret, body)
    extra.update(headers)
    return client.post(URL, body, content_type="application/json", **extra)


def _assert_refused(response) -> dict:
    assert response.status_code == 400, response.content[:300]
    payload = response.json()
    assert payload["message"]
    for messages in payload.get("fields", {}).values():
        assert messages and all(isinstance(m, str) and m for m in messages)
    return payload.get("fields", {})


def _utf8_string(value) -> bool:
    """A string that is text at all: no lone surrogate (which no database can store)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


TEXT_FIELDS = ("details", "order_id", "contact_email", "open_id")


@hostile_settings
@given(
    category=st.sampled_from(["experience", "payment"]),
    details=hostile_field(5000),
    order_id=hostile_field(64),
    email=st.one_of(st.just(""), hostile_emails),
    open_id=st.one_of(st.just(""), hostile_field(128)),
    # Now and then one field is something no form could send: a lone surrogate or not a string.
    broken=st.one_of(
        st.none(),
        st.none(),
        st.tuples(st.sampled_from(TEXT_FIELDS), st.one_of(with_lone_surrogate, wrong_types)),
    ),
)
@example(
    category="experience",
    details="It crashes.",
    order_id="",
    email="",
    open_id="",
    broken=("details", "ok \ud800 text"),
)
@example(
    category="experience",
    details="It crashes.",
    order_id="",
    email="",
    open_id="a\x00b",
    broken=None,
)
@example(
    category="payment",
    details="=cmd|' /C calc'!A0",
    order_id="@SUM(1)",
    email="",
    open_id="",
    broken=None,
)
def test_json_submission(
    client, mini_app, fresh_counters, category, details, order_id, email, open_id, broken
):
    fresh_counters()
    Report.objects.filter(mini_app=mini_app).delete()  # no example is a duplicate of another
    payload = {
        "category": category,
        "issue_type": ISSUE_TYPES[category],
        "details": details,
        "order_id": order_id,
        "contact_email": email,
        "open_id": open_id,
    }
    if broken:
        name, value = broken
        payload[name] = value
        details, order_id, email, open_id = (payload[n] for n in TEXT_FIELDS)
    before = (Report.objects.count(), OutboundEmail.objects.count())

    response = _post_json(client, mini_app, json.dumps(payload).encode())

    assert_not_server_error(response)
    event(f"status {response.status_code}")
    # Refused by the API itself, whatever the category, in this order: not a string, then not
    # UTF-8 at all (a lone surrogate).
    bad = {name for name in TEXT_FIELDS if not isinstance(payload[name], str)}
    bad = bad or {name for name in TEXT_FIELDS if not _utf8_string(payload[name])}
    if not bad:  # then the form's own rules
        if not char_field_ok(details, 5000):
            bad.add("details")
        order_id_ok = char_field_ok(order_id, 64) and not any(
            ord(c) < 32 for c in stripped(order_id)
        )
        if category == "payment" and not order_id_ok:
            bad.add("order_id")
        if not char_field_ok(open_id, 128, required=False):
            bad.add("open_id")
    if response.status_code == 201:
        assert not bad, f"accepted although {bad} should be refused"
        report = Report.objects.get(mini_app=mini_app)
        assert response.json()["report_id"] == report.report_id
        assert report.details == stripped(details)
        assert report.order_id == (stripped(order_id) if category == "payment" else "")
        assert report.contact_email == stripped(email).lower()
        assert report.open_id == stripped(open_id)
        return
    fields = _assert_refused(response)
    # The fields at fault are named: the ones this test knows to be bad, or else the e-mail.
    assert fields and bad <= set(fields) <= bad | {"contact_email"}, (fields, bad)
    assert (Report.objects.count(), OutboundEmail.objects.count()) == before


@hostile_settings
@given(
    category=st.one_of(st.sampled_from(Category.values), json_text),
    issue_type=st.one_of(json_text, wrong_types),
    extra_key=st.one_of(st.none(), json_text),
)
def test_json_shape_and_choices(client, mini_app, fresh_counters, category, issue_type, extra_key):
    fresh_counters()
    payload = {"category": category, "issue_type": issue_type, "details": "It crashes."}
    if extra_key is not None:
        payload[extra_key] = "<script>alert(1)</script>"
    before = Report.objects.count()

    response = _post_json(client, mini_app, json.dumps(payload).encode())

    assert_not_server_error(response)
    if response.status_code == 201:
        assert Report.objects.count() == before + 1
        return
    fields = _assert_refused(response)
    assert fields  # the field at fault is named
    assert Report.objects.count() == before


@hostile_settings
@given(raw=st.one_of(json_text, st.binary(max_size=40)))
def test_bodies_that_are_not_json_objects(client, mini_app, fresh_counters, raw):
    fresh_counters()
    body = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    before = Report.objects.count()

    response = _post_json(client, mini_app, body)

    assert_not_server_error(response)
    assert response.status_code == 400
    assert response.json()["message"]
    assert Report.objects.count() == before


@hostile_settings
@given(
    details=hostile_field(5000),
    email=st.one_of(st.just(""), hostile_emails),
    # What a web server passes on in a header: Latin-1, no CR, LF or NUL.
    idempotency_key=st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=80,
    ),
)
def test_multipart_submission(client, mini_app, fresh_counters, details, email, idempotency_key):
    fresh_counters()
    Report.objects.filter(mini_app=mini_app).delete()
    fields = {"category": "experience", "issue_type": "crash", "details": details}
    if email:
        fields["contact_email"] = email
    before = Report.objects.count()

    response = api_post_multipart(
        client, mini_app, fields, [], headers={"HTTP_IDEMPOTENCY_KEY": idempotency_key}
    )

    assert_not_server_error(response)
    # A key is optional; one that is sent (here always, even empty) is 1-60 printable ASCII
    # characters without spaces.
    key = idempotency_key.strip()
    key_ok = 1 <= len(key) <= 60 and all("!" <= char <= "~" for char in key)
    if response.status_code == 201:
        assert key_ok and char_field_ok(details, 5000)
        report = Report.objects.get(mini_app=mini_app)
        assert report.details == stripped(details)
        assert report.contact_email == stripped(email).lower()
        return
    fields = _assert_refused(response)
    assert fields
    if not key_ok:
        assert "Idempotency-Key" in fields
    elif not char_field_ok(details, 5000):
        assert "details" in fields
    assert Report.objects.count() == before


@hostile_settings
@given(report_id=hostile_text)
@example(report_id="\x00")
def test_status_lookup_with_hostile_ids(client, mini_app, fresh_counters, report_id):
    fresh_counters()
    # A slash (or nothing) makes it another URL, not this view's.
    report_id = report_id.replace("/", "") or "\x00"
    response = api_get(client, mini_app, quote(report_id, safe=""))
    assert_not_server_error(response)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
