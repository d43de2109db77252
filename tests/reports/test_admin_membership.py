"""The Django admin's membership inline keeps the team's rule (reports.team.services): the
app's last owner can be neither removed nor demoted; other changes go through the services."""

import pytest
from django.urls import reverse

from reports.models import AppEvent, MemberRole, Membership

pytestmark = pytest.mark.django_db

LAST_OWNER = "Acme Shop needs at least one owner: make someone else an owner first."


def post_team(admin_client, mini_app, rows: list[tuple[Membership, str, bool]]):
    """The app's change form with its membership inline: (membership, role, delete) rows."""
    data = {
        "name": mini_app.name,
        "slug": mini_app.slug,
        "support_email": mini_app.support_email,
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(rows)),
    }
    for i, (membership, role, delete) in enumerate(rows):
        prefix = f"memberships-{i}-"
        data |= {
            f"{prefix}id": str(membership.pk),
            f"{prefix}mini_app": str(mini_app.pk),
            f"{prefix}user": str(membership.user_id),
            f"{prefix}role": role,
            f"{prefix}email_past_due": "on",
        }
        if delete:
            data[f"{prefix}DELETE"] = "on"
    return admin_client.post(reverse("admin:reports_miniapp_change", args=[mini_app.pk]), data)


@pytest.fixture
def team(mini_app, owner, teammate):
    return (
        Membership.objects.get(user=owner, mini_app=mini_app),
        Membership.objects.get(user=teammate, mini_app=mini_app),
    )


@pytest.mark.parametrize("change", ["remove", "demote"])
def test_the_last_owner_can_be_neither_removed_nor_demoted(admin_client, mini_app, team, change):
    owner, handler = team
    rows = [
        (owner, MemberRole.HANDLER if change == "demote" else MemberRole.OWNER, change == "remove"),
        (handler, MemberRole.HANDLER, False),
    ]
    response = post_team(admin_client, mini_app, rows)
    assert response.status_code == 200  # the form again, with the reason
    assert LAST_OWNER in response.content.decode()
    assert Membership.objects.get(pk=owner.pk).role == MemberRole.OWNER
    assert not AppEvent.objects.filter(
        kind__in=[AppEvent.Kind.MEMBER_REMOVED, AppEvent.Kind.MEMBER_ROLE_CHANGED]
    ).exists()


def test_with_another_owner_a_demotion_and_a_removal_go_through_the_services(
    admin_client, mini_app, team
):
    owner, handler = team
    response = post_team(
        admin_client,
        mini_app,
        [(owner, MemberRole.VIEWER, False), (handler, MemberRole.OWNER, False)],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    roles = dict(Membership.objects.values_list("pk", "role"))
    assert roles == {owner.pk: MemberRole.VIEWER, handler.pk: MemberRole.OWNER}
    assert AppEvent.objects.filter(kind=AppEvent.Kind.MEMBER_ROLE_CHANGED).count() == 2
    # The former owner (now a viewer) removed: recorded in the app's audit log too.
    response = post_team(
        admin_client,
        mini_app,
        [
            (Membership.objects.get(pk=owner.pk), MemberRole.VIEWER, True),
            (handler, MemberRole.OWNER, False),
        ],
    )
    assert response.status_code == 302
    assert list(Membership.objects.values_list("pk", flat=True)) == [handler.pk]
    assert AppEvent.objects.filter(kind=AppEvent.Kind.MEMBER_REMOVED).count() == 1


def test_two_owners_demoted_at_once_keep_one_owner(admin_client, mini_app, team):
    owner, handler = team
    Membership.objects.filter(pk=handler.pk).update(role=MemberRole.OWNER)
    response = post_team(
        admin_client,
        mini_app,
        [(owner, MemberRole.HANDLER, False), (handler, MemberRole.HANDLER, False)],
    )
    # Each row alone is allowed; the services, one after the other, refuse the second.
    assert response.status_code == 302
    roles = sorted(Membership.objects.values_list("role", flat=True))
    assert roles == sorted([MemberRole.HANDLER, MemberRole.OWNER])
    followed = admin_client.get(response["Location"]).content.decode()
    assert LAST_OWNER in followed
