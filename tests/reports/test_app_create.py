"""An admin creates a mini app with its first owner in one step (`manage.py app_create` or the
admin's add form): the owner is invited by e-mail and owns the app once they accept."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command

from reports.models import AppEvent, Invitation, MemberRole, Membership, MiniApp, OutboundEmail
from reports.outbox import email_deliver

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://\S+(?P<path>/accounts/invitations/[\w-]+/)")
PASSWORD = "a long new passphrase 42"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def deliver_all() -> list:
    for email in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk"):
        email_deliver(email_id=email.pk)
    return mail.outbox


def app_create(*args: str) -> str:
    out = io.StringIO()
    call_command("app_create", *args, stdout=out)
    return out.getvalue()


def test_app_create_invites_the_first_owner_who_then_owns_the_app(client, catalogue):
    out = app_create("Fresh Fruit", "--owner", "Ana@Fruit.example")
    assert "Created mini app 'Fresh Fruit' (/console/fresh-fruit/)" in out
    mini_app = MiniApp.objects.get(slug="fresh-fruit")
    assert mini_app.support_email == "Ana@Fruit.example"
    invitation = Invitation.objects.get(mini_app=mini_app)
    assert (invitation.email, invitation.role) == ("ana@fruit.example", MemberRole.OWNER)
    assert [e.kind for e in AppEvent.objects.order_by("pk")] == ["app_created", "member_invited"]

    message = deliver_all()[-1]
    path = LINK.search(message.body).group("path")
    response = client.post(path, {"name": "Ana", "password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == "/console/fresh-fruit/reports/"
    user = get_user_model().objects.get(email="ana@fruit.example")
    assert Membership.objects.get(mini_app=mini_app, user=user).role == MemberRole.OWNER


def test_app_create_refuses_a_taken_slug_or_a_bad_address_and_creates_nothing(mini_app):
    with pytest.raises(CommandError, match="slug"):
        app_create("Acme Again", "--slug", "acme", "--owner", "x@example.org")
    with pytest.raises(CommandError, match="valid e-mail"):
        app_create("Other", "--owner", "not-an-address")
    assert MiniApp.objects.count() == 1
    assert not Invitation.objects.exists() and not OutboundEmail.objects.exists()


def test_the_admin_add_form_creates_the_app_and_invites_its_owner(admin_client, catalogue):
    response = admin_client.post(
        "/admin/reports/miniapp/add/",
        {
            "name": "Admin Made",
            "slug": "admin-made",
            "support_email": "help@made.example",
            "signing_secret": "s" * 40,
            "created_at_0": "2026-12-04",
            "created_at_1": "10:00:00",
            "owner_email": "boss@made.example",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mini_app = MiniApp.objects.get(slug="admin-made")
    assert Invitation.objects.get(mini_app=mini_app).email == "boss@made.example"
    assert deliver_all()[-1].to == ["boss@made.example"]


def test_the_admin_add_form_needs_the_first_owner(admin_client, catalogue):
    response = admin_client.post(
        "/admin/reports/miniapp/add/",
        {
            "name": "No Owner",
            "slug": "no-owner",
            "support_email": "help@made.example",
            "signing_secret": "s" * 40,
            "created_at_0": "2026-12-04",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "Enter the e-mail address of the app&#x27;s first owner" in response.content.decode()
    assert not MiniApp.objects.filter(slug="no-owner").exists()


def test_seed_demo_makes_its_user_the_owner(catalogue):
    call_command("seed_demo", "--reports", "0", stdout=io.StringIO())
    demo = get_user_model().objects.get(username="demo@example.com")
    membership = Membership.objects.get(mini_app__slug="demo", user=demo)
    assert membership.role == MemberRole.OWNER
    # Run again on a demo user who was made a handler: owner again.
    Membership.objects.filter(pk=membership.pk).update(role=MemberRole.HANDLER)
    call_command("seed_demo", "--reports", "0", stdout=io.StringIO())
    assert Membership.objects.get(pk=membership.pk).role == MemberRole.OWNER
