"""The team: invitations (accept as a new or an existing user, expired, reused, revoked, wrong
account), roles and removal, the last-owner rule (also under concurrency), the audit log."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reports.models import AppEvent, Invitation, MemberRole, Membership, OutboundEmail
from reports.outbox import email_deliver
from reports.roles import RoleRequired
from reports.team import services
from tests.conftest import on_postgres, run_at_once

pytestmark = pytest.mark.django_db

Kind = AppEvent.Kind
PASSWORD = "a long new passphrase 42"
LINK = re.compile(r"http://\S+/accounts/invitations/(?P<token>[\w-]+)/")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def deliver_all() -> list:
    for email in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk"):
        email_deliver(email_id=email.pk)
    return mail.outbox


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def invite_path(mini_app, owner, **kwargs) -> str:
    services.invitation_create(
        mini_app=mini_app,
        actor=owner,
        email=kwargs.get("email", "new.person@example.org"),
        role=kwargs.get("role", MemberRole.HANDLER),
    )
    return path_of(LINK.search(deliver_all()[-1].body).group(0))


def kinds(mini_app) -> list[str]:
    return list(AppEvent.objects.filter(mini_app=mini_app).values_list("kind", flat=True))


# --- Invitations: sending


def test_an_owner_invites_by_email_and_the_link_token_is_stored_hashed(client, owner, mini_app):
    client.force_login(owner)
    response = client.post(
        reverse("reports:team_invite", args=["acme"]),
        {"email": "  New.Person@Example.org ", "role": "viewer"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("new.person@example.org", "viewer")
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    message = deliver_all()[-1]
    assert "Acme Shop" in message.subject and "viewer" in message.body
    token = LINK.search(message.body).group("token")
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert services.token_hash(token) == invitation.token_hash
    assert kinds(mini_app) == [Kind.MEMBER_INVITED]
    event = AppEvent.objects.get()
    assert event.actor == owner and event.data == {"email": invitation.email, "role": "viewer"}


@pytest.mark.parametrize("actor", ["teammate", "viewer"])
def test_only_owners_invite(client, request, mini_app, actor):
    client.force_login(request.getfixturevalue(actor))
    response = client.post(
        reverse("reports:team_invite", args=["acme"]), {"email": "x@example.org", "role": "owner"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists() and not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "", "role": "handler"}, "Enter the e-mail address"),
        ({"email": "not-an-address", "role": "handler"}, "valid e-mail address"),
        ({"email": "x@example.org", "role": "admin"}, "Choose a role"),
        ({"email": "Teammate@Acme.example", "role": "viewer"}, "already a member"),
    ],
)
def test_a_refused_invitation_says_why_and_stores_nothing(
    client, owner, teammate, mini_app, data, message
):
    client.force_login(owner)
    response = client.post(reverse("reports:team_invite", args=["acme"]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists() and not OutboundEmail.objects.exists()


def test_inviting_the_same_address_again_resends_with_a_new_link(owner, mini_app):
    first = invite_path(mini_app, owner)
    second = invite_path(mini_app, owner, role=MemberRole.VIEWER)
    assert first != second
    assert Invitation.objects.get().role == MemberRole.VIEWER
    assert kinds(mini_app) == [Kind.INVITATION_RESENT, Kind.MEMBER_INVITED]


# --- Invitations: accepting


def test_a_new_person_sets_a_name_and_password_and_lands_in_the_app(client, owner, mini_app):
    path = invite_path(mini_app, owner)
    page = client.get(path)
    assert page.status_code == 200 and "Join Acme Shop" in page.content.decode()

    response = client.post(path, {"name": "Ana Ruiz", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/console/acme/reports/"
    user = get_user_model().objects.get(email="new.person@example.org")
    assert user.get_full_name() == "Ana Ruiz" and user.check_password(PASSWORD)
    assert Membership.objects.get(user=user, mini_app=mini_app).role == MemberRole.HANDLER
    assert client.get("/console/acme/reports/").status_code == 200  # signed in
    assert Kind.MEMBER_ADDED in kinds(mini_app)


def test_a_new_persons_form_is_validated_and_stores_nothing_when_refused(client, owner, mini_app):
    path = invite_path(mini_app, owner)
    response = client.post(path, {"name": "", "password1": "12345678", "password2": "1234"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter your name" in body and "two passwords differ" in body
    response = client.post(path, {"name": "Ana", "password1": "password", "password2": "password"})
    assert "too common" in response.content.decode()
    assert not get_user_model().objects.filter(email="new.person@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_existing_user_signs_in_then_joins(client, owner, mini_app, outsider):
    path = invite_path(mini_app, owner, email="Outsider@Globex.example", role=MemberRole.VIEWER)
    page = client.get(path).content.decode()
    assert "Sign in to join" in page and "Create account" not in page

    client.force_login(outsider)
    assert "Join Acme Shop" in client.get(path).content.decode()
    response = client.post(path)

    assert response["Location"] == "/console/acme/reports/"
    assert Membership.objects.get(user=outsider, mini_app=mini_app).role == MemberRole.VIEWER


def test_the_wrong_signed_in_account_is_told_and_cannot_join(client, owner, mini_app, outsider):
    path = invite_path(mini_app, owner)
    client.force_login(outsider)
    page = client.get(path).content.decode()
    assert "You are signed in as <strong>outsider@globex.example</strong>" in page
    assert "this invitation is for <strong>new.person@example.org</strong>" in page
    # The invited app's console navigation is not shown to someone who is not its member.
    assert 'aria-label="Console"' not in page and "/console/acme/" not in page
    assert client.post(path).status_code == 403
    assert not Membership.objects.filter(user=outsider, mini_app=mini_app).exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_used_link_says_so(client, owner, mini_app):
    path = invite_path(mini_app, owner)
    client.post(path, {"name": "Ana", "password1": PASSWORD, "password2": PASSWORD})
    client.logout()
    response = client.get(path)
    assert response.status_code == 410
    assert "This invitation was already used" in response.content.decode()
    again = client.post(path, {"name": "Eve", "password1": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 410
    assert get_user_model().objects.filter(email="new.person@example.org").count() == 1


def test_an_expired_link_says_so(client, owner, mini_app):
    path = invite_path(mini_app, owner)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(path)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    client.post(path, {"name": "Ana", "password1": PASSWORD, "password2": PASSWORD})
    assert not get_user_model().objects.filter(email="new.person@example.org").exists()


def test_an_expired_invitation_can_be_resent_with_a_fresh_link(client, owner, mini_app):
    old = invite_path(mini_app, owner)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(owner)
    invitation = Invitation.objects.get()
    client.post(reverse("reports:invitation_resend", args=["acme", invitation.pk]))
    new = path_of(LINK.search(deliver_all()[-1].body).group(0))
    client.logout()
    assert client.get(old).status_code == 404  # replaced: the old token is gone
    assert client.get(new).status_code == 200


def test_a_revoked_link_says_so(client, owner, mini_app):
    path = invite_path(mini_app, owner)
    client.force_login(owner)
    invitation = Invitation.objects.get()
    response = client.post(reverse("reports:invitation_revoke", args=["acme", invitation.pk]))
    assert response.status_code == 302
    client.logout()
    response = client.get(path)
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()
    assert kinds(mini_app)[0] == Kind.INVITATION_REVOKED


def test_an_unknown_token_says_the_link_does_not_work(client, mini_app):
    response = client.get("/accounts/invitations/not-a-real-token/")
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


@pytest.mark.parametrize("actor", ["teammate", "viewer"])
def test_only_owners_resend_or_revoke(client, request, owner, mini_app, actor):
    invite_path(mini_app, owner)
    invitation = Invitation.objects.get()
    client.force_login(request.getfixturevalue(actor))
    for name in ("reports:invitation_resend", "reports:invitation_revoke"):
        assert client.post(reverse(name, args=["acme", invitation.pk])).status_code == 403
    assert Invitation.objects.get().token_hash == invitation.token_hash
    assert Invitation.objects.get().revoked_at is None


def test_a_link_accepted_twice_at_once_makes_one_member(owner, mini_app, outsider):
    invite_path(mini_app, owner, email="outsider@globex.example")
    invitation = Invitation.objects.get()
    services.invitation_accept(invitation=invitation, user=outsider)
    with pytest.raises(services.InvitationUnusable) as refused:
        services.invitation_accept(invitation=invitation, user=outsider)
    assert refused.value.state == "accepted"


# --- Roles and removal


def _membership(user, mini_app):
    return Membership.objects.get(user=user, mini_app=mini_app)


def test_an_owner_changes_a_role_and_it_is_recorded(client, owner, teammate, mini_app):
    client.force_login(owner)
    membership = _membership(teammate, mini_app)
    response = client.post(
        reverse("reports:member_role", args=["acme", membership.pk]), {"role": "viewer"}
    )
    assert response.status_code == 302
    assert _membership(teammate, mini_app).role == MemberRole.VIEWER
    event = AppEvent.objects.get()
    assert event.kind == Kind.MEMBER_ROLE_CHANGED and event.actor == owner
    assert event.data == {"email": teammate.email, "before": "handler", "after": "viewer"}


def test_an_owner_removes_a_member(client, owner, teammate, mini_app):
    client.force_login(owner)
    membership = _membership(teammate, mini_app)
    client.post(reverse("reports:member_remove", args=["acme", membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert kinds(mini_app) == [Kind.MEMBER_REMOVED]


@pytest.mark.parametrize("actor", ["teammate", "viewer"])
def test_only_owners_change_roles_or_remove(client, request, owner, mini_app, actor):
    client.force_login(request.getfixturevalue(actor))
    membership = _membership(owner, mini_app)
    role = client.post(
        reverse("reports:member_role", args=["acme", membership.pk]), {"role": "viewer"}
    )
    remove = client.post(reverse("reports:member_remove", args=["acme", membership.pk]))
    assert (role.status_code, remove.status_code) == (403, 403)
    assert _membership(owner, mini_app).role == MemberRole.OWNER
    assert not AppEvent.objects.exists()


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, owner, teammate, mini_app):
    client.force_login(owner)
    membership = _membership(owner, mini_app)
    client.post(reverse("reports:member_role", args=["acme", membership.pk]), {"role": "handler"})
    response = client.post(
        reverse("reports:member_remove", args=["acme", membership.pk]), follow=True
    )
    assert "needs at least one owner" in response.content.decode()
    assert _membership(owner, mini_app).role == MemberRole.OWNER
    assert not AppEvent.objects.exists()


def test_with_two_owners_one_may_step_down(owner, teammate, mini_app):
    services.member_role_change(
        membership=_membership(teammate, mini_app), actor=owner, role=MemberRole.OWNER
    )
    services.member_role_change(
        membership=_membership(owner, mini_app), actor=owner, role=MemberRole.VIEWER
    )
    assert _membership(owner, mini_app).role == MemberRole.VIEWER
    with pytest.raises(RoleRequired):  # no longer an owner
        services.member_remove(membership=_membership(teammate, mini_app), actor=owner)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(owner, teammate, mini_app):
    services.member_role_change(
        membership=_membership(teammate, mini_app), actor=owner, role=MemberRole.OWNER
    )
    mine, theirs = _membership(owner, mini_app), _membership(teammate, mini_app)

    for _ in range(5):
        results, errors = run_at_once(
            lambda: services.member_role_change(
                membership=theirs, actor=owner, role=MemberRole.HANDLER
            ),
            lambda: services.member_role_change(
                membership=mine, actor=teammate, role=MemberRole.HANDLER
            ),
        )
        assert len(results) == 1 and len(errors) == 1, errors
        assert isinstance(errors[0], RoleRequired | services.TeamRuleError)
        owners = Membership.objects.filter(mini_app=mini_app, role=MemberRole.OWNER)
        assert owners.count() == 1
        # Back to two owners for the next round.
        Membership.objects.filter(mini_app=mini_app).update(role=MemberRole.OWNER)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_each_other_at_once_leave_one_owner(owner, teammate, mini_app):
    Membership.objects.filter(user=teammate).update(role=MemberRole.OWNER)
    mine, theirs = _membership(owner, mini_app), _membership(teammate, mini_app)
    results, errors = run_at_once(
        lambda: services.member_remove(membership=theirs, actor=owner),
        lambda: services.member_remove(membership=mine, actor=teammate),
    )
    assert len(results) == 1 and len(errors) == 1
    assert Membership.objects.filter(mini_app=mini_app, role=MemberRole.OWNER).count() == 1


# --- The page


def test_the_team_page_lists_members_with_role_and_last_sign_in(client, owner, teammate, viewer):
    get_user_model().objects.filter(pk=teammate.pk).update(last_login=timezone.now())
    client.force_login(viewer)
    body = client.get(reverse("reports:team", args=["acme"])).content.decode()
    assert "teammate@acme.example" in body and "Handler" in body and "Never" in body
    # A viewer sees the team but none of the owners' controls, nor the audit log.
    assert "Change role" not in body and "Invite" not in body and "Audit log" not in body


def test_owners_see_the_audit_log(client, owner, teammate, mini_app):
    services.member_role_change(
        membership=_membership(teammate, mini_app), actor=owner, role=MemberRole.VIEWER
    )
    client.force_login(owner)
    body = client.get(reverse("reports:team", args=["acme"])).content.decode()
    assert "Audit log" in body and "Role changed" in body and "Change role" in body
