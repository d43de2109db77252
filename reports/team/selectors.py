"""The team page's reads: members, open invitations, the app's audit log."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from ..models import AppEvent, Invitation, MemberRole, Membership, MiniApp

AUDIT_LOG_LENGTH = 100

_ROLE_ORDER = Case(
    *[When(role=role, then=Value(i)) for i, role in enumerate(MemberRole.values)],
    output_field=IntegerField(),
)


def team_members(*, mini_app: MiniApp) -> QuerySet[Membership]:
    """Owners first, then handlers, then viewers; each with their account (last sign-in)."""
    return (
        Membership.objects.filter(mini_app=mini_app)
        .select_related("user")
        .order_by(_ROLE_ORDER, "user__email", "pk")
    )


def team_invitations_open(*, mini_app: MiniApp) -> QuerySet[Invitation]:
    """Invitations not yet accepted nor revoked (expired ones too: an owner may resend)."""
    return (
        Invitation.objects.filter(mini_app=mini_app, accepted_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("-sent_at", "-pk")
    )


def app_events(*, mini_app: MiniApp, limit: int = AUDIT_LOG_LENGTH) -> list[AppEvent]:
    # Served by the index appevent_app_time.
    return list(AppEvent.objects.filter(mini_app=mini_app).select_related("actor")[:limit])


def membership_of_app(*, mini_app: MiniApp, membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user").get(pk=membership_id, mini_app=mini_app)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


def invitation_of_app(*, mini_app: MiniApp, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id, mini_app=mini_app)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None
