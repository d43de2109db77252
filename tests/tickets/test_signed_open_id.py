"""Signed Open ID links: only a genuine, fresh signature for this app fills the Open ID."""

import secrets
import time

import pytest

from reports.models import Report

pytestmark = pytest.mark.django_db

SIGNED_IN = "Reporting as a signed-in user"
NOT_CONFIRMED = "confirm that you are signed in"


def flip_last(sig: str) -> str:
    return sig[:-1] + ("1" if sig[-1] == "0" else "0")


def file_report(client, signed):
    return client.post(
        "/help/acme/new/experience/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": "Crash",
            **signed,
        },
    )


def test_a_valid_link_is_recognised_and_fills_the_open_id(client, mini_app, signed_link):
    signed = signed_link(mini_app, open_id="oid-7")
    page = client.get("/help/acme/new/experience/", signed).content.decode()
    assert SIGNED_IN in page
    # The help center passes the link on to the category forms.
    home = client.get("/help/acme/", signed).content.decode()
    assert f"/help/acme/new/experience/?open_id=oid-7&amp;ts={signed['ts']}" in home
    file_report(client, signed)
    assert Report.objects.get().open_id == "oid-7"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda s: {**s, "ts": str(int(time.time()) - 25 * 3600)}, id="expired"),
        pytest.param(lambda s: {**s, "open_id": "someone-else"}, id="tampered-open-id"),
        pytest.param(lambda s: {**s, "sig": flip_last(s["sig"])}, id="tampered-signature"),
        pytest.param(lambda s: {**s, "ts": "soon"}, id="garbage-timestamp"),
    ],
)
def test_a_bad_link_files_without_an_open_id(client, mini_app, signed_link, spoil):
    signed = spoil(signed_link(mini_app, open_id="oid-7"))
    page = client.get("/help/acme/new/experience/", signed).content.decode()
    assert SIGNED_IN not in page
    assert NOT_CONFIRMED in page
    file_report(client, signed)
    assert Report.objects.get().open_id == ""


def test_an_expired_link_is_refused_even_if_it_was_fine_a_day_ago(client, mini_app, signed_link):
    fresh = signed_link(mini_app, ts=int(time.time()) - 23 * 3600)
    file_report(client, fresh)
    assert Report.objects.get().open_id == "user-42"


def test_a_link_signed_for_another_app_is_not_trusted(client, mini_app, other_app, signed_link):
    signed = signed_link(other_app, open_id="oid-7")
    assert SIGNED_IN not in client.get("/help/acme/new/experience/", signed).content.decode()
    file_report(client, signed)
    assert Report.objects.get().open_id == ""


def test_no_link_at_all_files_anonymously_without_warnings(client, mini_app):
    page = client.get("/help/acme/new/experience/").content.decode()
    assert SIGNED_IN not in page
    assert NOT_CONFIRMED not in page


def test_a_non_ascii_signature_is_just_not_trusted(client, mini_app, signed_link):
    signed = {**signed_link(mini_app), "sig": "é" * 64}
    page = client.get("/help/acme/new/experience/", signed).content.decode()
    assert NOT_CONFIRMED in page
