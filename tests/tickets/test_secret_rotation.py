"""After a rotation the previous secret is accepted for 24 hours, for links and the API, then
refused; the new one works at once. Time is moved by editing the stored rotation time."""

import secrets
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from reports.app_settings.services import signing_secret_rotate
from reports.models import MiniApp, Report
from reports.signing import open_id_signature, open_id_verify, secrets_accepted
from tests.tickets.api_client import api_post

pytestmark = pytest.mark.django_db

SIGNED_IN = "Reporting as a signed-in user"
PAYLOAD = {"category": "experience", "issue_type": "crash", "details": "Crash on start."}


def link(secret: str, open_id: str = "oid-7") -> dict:
    ts = int(time.time())
    return {
        "open_id": open_id,
        "ts": str(ts),
        "sig": open_id_signature(secret=secret, open_id=open_id, ts=ts),
    }


def rotated_hours_ago(mini_app: MiniApp, hours: float) -> MiniApp:
    MiniApp.objects.filter(pk=mini_app.pk).update(
        signing_secret_rotated_at=timezone.now() - timedelta(hours=hours)
    )
    mini_app.refresh_from_db()
    return mini_app


@pytest.fixture
def rotated(mini_app, owner) -> MiniApp:
    signing_secret_rotate(mini_app=mini_app, actor=owner)
    mini_app.refresh_from_db()
    assert mini_app.previous_signing_secret == "s3cret" != mini_app.signing_secret
    return mini_app


def test_links_signed_with_the_old_secret_work_within_24_hours(client, rotated):
    rotated_hours_ago(rotated, 23.9)
    page = client.get("/help/acme/new/experience/", link("s3cret")).content.decode()
    assert SIGNED_IN in page
    page = client.get("/help/acme/new/experience/", link(rotated.signing_secret)).content.decode()
    assert SIGNED_IN in page


def test_links_signed_with_the_old_secret_are_refused_after_24_hours(client, rotated):
    rotated_hours_ago(rotated, 24.01)
    page = client.get("/help/acme/new/experience/", link("s3cret")).content.decode()
    assert SIGNED_IN not in page
    client.post(
        "/help/acme/new/experience/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": "Crash",
            **link("s3cret"),
        },
    )
    assert Report.objects.get().open_id == ""
    # The new secret still works.
    page = client.get("/help/acme/new/experience/", link(rotated.signing_secret)).content.decode()
    assert SIGNED_IN in page


def test_the_api_accepts_the_old_secret_within_24_hours_and_refuses_it_after(client, rotated):
    rotated_hours_ago(rotated, 23.9)
    assert api_post(client, rotated, PAYLOAD, secret="s3cret").status_code == 201
    assert api_post(client, rotated, PAYLOAD | {"details": "Second."}).status_code == 201
    rotated_hours_ago(rotated, 24.01)
    refused = api_post(client, rotated, PAYLOAD | {"details": "Third."}, secret="s3cret")
    assert refused.status_code == 401
    assert refused.json()["error"] == "signature_invalid"
    assert api_post(client, rotated, PAYLOAD | {"details": "Fourth."}).status_code == 201
    assert Report.objects.count() == 3


def test_a_second_rotation_drops_the_oldest_secret_at_once(client, rotated, owner):
    first_new = rotated.signing_secret
    signing_secret_rotate(mini_app=rotated, actor=owner)
    rotated.refresh_from_db()
    assert secrets_accepted(mini_app=rotated) == [rotated.signing_secret, first_new]
    assert api_post(client, rotated, PAYLOAD, secret="s3cret").status_code == 401
    assert api_post(client, rotated, PAYLOAD, secret=first_new).status_code == 201


def test_the_grace_rule_takes_now(rotated):
    # One function knows the rule; callers may pass the time instead of editing the row.
    signed = link("s3cret")
    at = rotated.signing_secret_rotated_at
    within = (at + timedelta(hours=23, minutes=59)).timestamp()
    after = (at + timedelta(hours=24, seconds=1)).timestamp()
    signed_within = {**signed, "ts": str(int(within))}
    signed_within["sig"] = open_id_signature(secret="s3cret", open_id="oid-7", ts=int(within))
    assert open_id_verify(mini_app=rotated, now=within, **signed_within) == "oid-7"
    signed_after = {**signed, "ts": str(int(after))}
    signed_after["sig"] = open_id_signature(secret="s3cret", open_id="oid-7", ts=int(after))
    assert open_id_verify(mini_app=rotated, now=after, **signed_after) == ""


def test_before_any_rotation_only_the_secret_itself_is_accepted(mini_app):
    assert secrets_accepted(mini_app=mini_app) == ["s3cret"]
