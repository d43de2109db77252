"""Accounts: sign-in by e-mail address in any case, password reset end to end from the e-mail
(throttled, no account enumeration), password change, and the header's app switcher."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from reports.models import Membership, OutboundEmail
from reports.outbox import email_deliver

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.conftest.make_user's
NEW_PASSWORD = "a brand new passphrase 77"
RESET_LINK = re.compile(r"http://testserver(?P<path>/accounts/reset/\S+/)")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def deliver_all() -> list:
    for email in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk"):
        email_deliver(email_id=email.pk)
    return mail.outbox


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


# --- Sign-in by e-mail address


@pytest.mark.parametrize(
    "typed", ["owner@acme.example", "OWNER@Acme.Example", " Owner@acme.example"]
)
def test_sign_in_by_email_address_in_any_case(client, owner, typed):
    response = sign_in(client, typed)
    assert response.status_code == 302 and response["Location"] == "/console/"


def test_sign_in_by_email_when_the_username_is_something_else(client):
    user = get_user_model().objects.create_user(
        username="jdoe", email="J.Doe@Example.org", password=PASSWORD
    )
    assert sign_in(client, "j.doe@example.org").status_code == 302
    client.logout()
    assert sign_in(client, "JDOE").status_code == 302
    assert user.pk == int(client.session["_auth_user_id"])


def test_a_wrong_password_or_an_inactive_account_is_refused(client, owner, make_user):
    assert sign_in(client, "OWNER@acme.example", "wrong").status_code == 200
    make_user("gone@acme.example", is_active=False)
    assert sign_in(client, "gone@acme.example").status_code == 200
    assert "_auth_user_id" not in client.session


def test_two_accounts_differing_only_in_case_sign_in_nobody_by_guess(client):
    User = get_user_model()
    User.objects.create_user(username="a@example.org", email="a@example.org", password=PASSWORD)
    User.objects.create_user(username="A@example.org", email="A@example.org", password=PASSWORD)
    assert sign_in(client, "a@EXAMPLE.org").status_code == 200  # ambiguous: nobody
    assert sign_in(client, "A@example.org").status_code == 302  # exact username wins


def test_failed_sign_ins_in_different_cases_count_together(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    sign_in(client, "owner@acme.example", "wrong")
    sign_in(client, "OWNER@ACME.EXAMPLE", "wrong")
    response = sign_in(client, "Owner@Acme.Example")  # right password, locked out
    assert "Too many failed sign-in attempts" in response.content.decode()


# --- Password reset


def test_password_reset_end_to_end_from_the_email(client, owner):
    response = client.post(reverse("password_reset"), {"email": "Owner@ACME.example"})
    assert response["Location"] == reverse("password_reset_done")
    message = deliver_all()[-1]
    assert message.to == ["owner@acme.example"]
    assert message.subject == "Reset your Reportdesk password"
    link = RESET_LINK.search(message.body).group("path")

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")

    assert sign_in(client, "owner@acme.example", PASSWORD).status_code == 200  # old: refused
    assert sign_in(client, "owner@acme.example", NEW_PASSWORD).status_code == 302
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "This reset link does not work" in again  # used once


def test_password_reset_says_the_same_for_an_unknown_address(client, owner):
    known = client.post(reverse("password_reset"), {"email": "owner@acme.example"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@acme.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in deliver_all()] == [["owner@acme.example"]]


def test_password_reset_emails_an_address_at_most_three_times_an_hour(client, owner):
    for _ in range(5):
        response = client.post(reverse("password_reset"), {"email": "owner@acme.example"})
        assert response.status_code == 302  # the same page: nothing tells it was throttled
    assert len(deliver_all()) == 3


def test_password_reset_refuses_a_flood_from_one_address(client, owner, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    for n in range(2):
        client.post(reverse("password_reset"), {"email": f"someone{n}@example.org"})
    response = client.post(reverse("password_reset"), {"email": "owner@acme.example"})
    assert response.status_code == 200
    assert "Too many password reset requests" in response.content.decode()
    assert deliver_all() == []


def test_password_reset_validates_the_address(client):
    response = client.post(reverse("password_reset"), {"email": "not an address"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


# --- Password change


def test_password_change(client, owner):
    client.force_login(owner)
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("password_change_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_password_change_needs_a_signed_in_user(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- The header


def test_the_header_switches_between_the_members_apps(client, owner, other_app):
    Membership.objects.create(mini_app=other_app, user=owner, role=Membership.Role.VIEWER)
    client.force_login(owner)
    body = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    switcher = body[
        body.index('aria-label="Mini apps"') : body.index(
            "</nav>", body.index('aria-label="Mini apps"')
        )
    ]
    assert 'href="/console/globex/reports/"' in switcher and "Viewer" in switcher
    assert 'href="/console/acme/reports/" aria-current="true"' in switcher
    assert 'href="/console/acme/team/"' in body and 'href="/console/acme/notifications/"' in body
    assert 'href="/accounts/password_change/"' in body


def test_one_app_needs_no_switcher(client, owner, outsider):
    client.force_login(owner)
    body = client.get(reverse("reports:team", args=["acme"])).content.decode()
    assert "switch to another mini app" not in body and "Globex" not in body
    assert 'href="/console/acme/team/" aria-current="page"' in body
