"""What no browser form sends but anyone can: bytes that are not UTF-8 in a form body, and
hostile cookies. Never a 500; nothing stored from a body that is not text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.models import Report
from reports.services import report_resolve

from .checks import assert_not_server_error
from .strategies import few_examples

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
# A lone surrogate as UTF-8 would spell it (CESU-8), an overlong "<", a stray continuation byte.
NOT_UTF8 = [b"%ED%A0%80", b"%C0%BC", b"%80", b"\xff", b"%F4%90%80%80"]


@few_examples
@given(junk=st.lists(st.sampled_from(NOT_UTF8), min_size=1, max_size=3).map(b"".join))
def test_form_bodies_that_are_not_utf8(client, owner, make_report, fresh_counters, junk):
    fresh_counters()
    handled = report_resolve(
        report=make_report("payment", contact_email="payer@example.net"), actor=owner, notes=""
    )
    before = Report.objects.count()
    posts = {
        "/help/acme/new/experience/": b"issue_type=experience.crash&details=It+crashes" + junk,
        "/help/acme/check/": b"report_id=" + junk + b"&email=a%40example.com",
        f"/help/acme/tickets/{handled.report_id}/appeal/?key={handled.access_key}": (
            b"contact_email=a%40example.com&reason=" + junk
        ),
    }
    for url, body in posts.items():
        assert_not_server_error(client.post(url, body, content_type=FORM))

    client.force_login(owner)
    pending = make_report(details="Target.")
    response = client.post(
        f"/console/acme/reports/{pending.report_id}/notes/",
        b"version=1&notes=" + junk,
        content_type=FORM,
    )
    assert_not_server_error(response)
    # Whatever the form made of it, only text was stored, and at most the one new report.
    assert Report.objects.count() <= before + 2
    for details, notes in Report.objects.values_list("details", "notes"):
        details.encode("utf-8")
        notes.encode("utf-8")


# A Cookie header reaches Django as Latin-1 (WSGI): what a client can put there.
cookie_text = st.one_of(
    st.sampled_from(["<script>alert(1)</script>", "{{ request }}", "../../etc/passwd", "UTC"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")),
)


@few_examples
@given(tz=cookie_text, filed=cookie_text, session=cookie_text)
def test_hostile_cookies(client, owner, make_report, tz, filed, session):
    report = make_report(details="Cookie target.")
    client.cookies["reportdesk_tz"] = tz
    client.cookies["reportdesk_filed"] = filed
    pages = [
        f"/help/acme/tickets/{report.report_id}/?key={report.access_key}",
        "/help/acme/",
    ]
    for url in pages:
        response = client.get(url)
        assert_not_server_error(response)
        assert response.status_code == 200
    client.force_login(owner)
    for url in ("/console/acme/reports/", f"/console/acme/reports/{report.report_id}/"):
        response = client.get(url)
        assert_not_server_error(response)
        assert response.status_code == 200
    client.cookies["sessionid"] = session  # a forged session: signed out, not an error
    response = client.get("/console/acme/reports/")
    assert_not_server_error(response)
    assert response.status_code == 302
