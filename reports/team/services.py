"""Every change to a mini app's team: invite, resend, revoke, accept, change a role, remove.

Each checks the actor's role first (reports.roles) and records itself in the app's audit log
(app_event_record) in the same transaction. Changes to the members lock the app's row first,
so two owners acting at once are serialised and the app always keeps at least one owner.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..models import AppEvent, Invitation, MemberRole, Membership, MiniApp
from ..outbox import email_enqueue
from ..roles import HANDLING_ROLES, MANAGING_ROLES, role_require
from ..services import app_event_record, reports_unassign_member

Kind = AppEvent.Kind


class TeamRuleError(ValueError):
    """A team change the rules refuse (the message says why, for the person who asked)."""


class InvitationUnusable(Exception):
    """The link is expired, used or revoked: `state` says which (Invitation.state)."""

    def __init__(self, invitation: Invitation):
        super().__init__(invitation.state)
        self.invitation = invitation
        self.state = invitation.state


class InvitationWrongAccount(Exception):
    """The signed-in account is not the invited address."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_normalize(email: str) -> str:
    # Addresses are matched regardless of case everywhere (sign-in too): store one spelling.
    return email.strip().lower()


def user_for_email(email: str) -> AbstractBaseUser | None:
    """The account of this e-mail address (as username or e-mail, any case), if any."""
    User = get_user_model()
    users = User.objects.filter(username__iexact=email) | User.objects.filter(email__iexact=email)
    return users.order_by("pk").first()


# --- Invitations


def invitation_create(
    *, mini_app: MiniApp, actor: AbstractBaseUser | None, email: str, role: str
) -> Invitation:
    """Invite an address to the app with a role and e-mail it the link. Inviting an address
    that already has an open invitation resends that one (with this role)."""
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    email = email_normalize(email)
    if role not in MemberRole.values:
        raise TeamRuleError("Choose a role: owner, handler or viewer.")
    if Membership.objects.filter(mini_app=mini_app, user__email__iexact=email).exists() or (
        Membership.objects.filter(mini_app=mini_app, user__username__iexact=email).exists()
    ):
        raise TeamRuleError(f"{email} is already a member of {mini_app.name}.")
    with transaction.atomic():
        open_invitation = (
            Invitation.objects.select_for_update()
            .filter(mini_app=mini_app, email=email, accepted_at=None, revoked_at=None)
            .first()
        )
        if open_invitation is not None:
            open_invitation.role = role
            return _send(open_invitation, actor=actor, kind=Kind.INVITATION_RESENT)
        invitation = Invitation(mini_app=mini_app, email=email, role=role, invited_by=actor)
        try:
            with transaction.atomic():
                return _send(invitation, actor=actor, kind=Kind.MEMBER_INVITED)
        except IntegrityError:  # invited by another owner at the same moment
            raise TeamRuleError(f"{email} was just invited by someone else.") from None


def invitation_resend(*, invitation: Invitation, actor: AbstractBaseUser | None) -> Invitation:
    """A new link (the old one stops working), valid for another 7 days, e-mailed again."""
    role_require(actor=actor, mini_app_id=invitation.mini_app_id, roles=MANAGING_ROLES)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.revoked_at:
            raise TeamRuleError(f"The invitation of {invitation.email} is no longer open.")
        return _send(invitation, actor=actor, kind=Kind.INVITATION_RESENT)


def invitation_revoke(*, invitation: Invitation, actor: AbstractBaseUser | None) -> None:
    role_require(actor=actor, mini_app_id=invitation.mini_app_id, roles=MANAGING_ROLES)
    with transaction.atomic():
        revoked = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if revoked != 1:  # accepted or revoked meanwhile
            raise TeamRuleError(f"The invitation of {invitation.email} is no longer open.")
        app_event_record(
            mini_app=invitation.mini_app,
            kind=Kind.INVITATION_REVOKED,
            actor=actor,
            email=invitation.email,
            role=invitation.role,
        )


def _send(invitation: Invitation, *, actor, kind: str) -> Invitation:
    """A fresh token for the invitation, saved hashed, and the e-mail with its link."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + Invitation.VALID_FOR
    invitation.save()
    mini_app = invitation.mini_app
    link = settings.SITE_URL + reverse("invitation_accept", args=[token])
    context = {
        "invitation": invitation,
        "mini_app": mini_app,
        "inviter": actor,
        "link": link,
        "role": invitation.get_role_display(),
    }
    email_enqueue(
        to=invitation.email,
        subject=f"You are invited to {mini_app.name} on Reportdesk",
        body=render_to_string("reports/team/email/invitation.txt", context),
    )
    app_event_record(
        mini_app=mini_app, kind=kind, actor=actor, email=invitation.email, role=invitation.role
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("mini_app").filter(token_hash=token_hash(token)).first()
    )


def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """The invited person, signed in as the invited address, joins the app with its role.

    The invitation is claimed with one conditional UPDATE, so a link works once, however
    many times it is clicked at once."""
    if email_normalize(user.email or user.get_username()) != invitation.email:
        raise InvitationWrongAccount(invitation.email)
    with transaction.atomic():
        now = timezone.now()
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if claimed != 1:
            invitation.refresh_from_db()
            raise InvitationUnusable(invitation)
        MiniApp.objects.select_for_update().get(pk=invitation.mini_app_id)
        membership, created = Membership.objects.get_or_create(
            mini_app_id=invitation.mini_app_id, user=user, defaults={"role": invitation.role}
        )
        if created:
            app_event_record(
                mini_app=invitation.mini_app,
                kind=Kind.MEMBER_ADDED,
                actor=user,
                email=invitation.email,
                role=invitation.role,
                invited_by=invitation.invited_by.email if invitation.invited_by else "",
            )
    return membership


def invitation_accept_as_new_user(
    *, invitation: Invitation, name: str, password: str
) -> tuple[AbstractBaseUser, Membership]:
    """A person without an account: the account (the invited address, the name and the
    password) and the membership, together or not at all."""
    if invitation.state != "open":
        raise InvitationUnusable(invitation)
    with transaction.atomic():
        if user_for_email(invitation.email) is not None:
            raise TeamRuleError("An account with this e-mail address exists already: sign in.")
        user = get_user_model().objects.create_user(
            username=invitation.email,
            email=invitation.email,
            password=password,
            first_name=name.strip()[:150],
        )
        membership = invitation_accept(invitation=invitation, user=user)
    return user, membership


# --- Members


def _member_locked(membership: Membership, actor) -> Membership:
    """Lock the app (every member change of one app waits its turn), then check the actor's
    role and re-read the membership as it is now."""
    MiniApp.objects.select_for_update().get(pk=membership.mini_app_id)
    role_require(actor=actor, mini_app_id=membership.mini_app_id, roles=MANAGING_ROLES)
    try:
        return Membership.objects.select_related("user", "mini_app").get(pk=membership.pk)
    except Membership.DoesNotExist:
        raise TeamRuleError("This person is no longer a member.") from None


def _keeps_an_owner(membership: Membership) -> bool:
    if membership.role != MemberRole.OWNER:
        return True
    return (
        Membership.objects.filter(mini_app_id=membership.mini_app_id, role=MemberRole.OWNER)
        .exclude(pk=membership.pk)
        .filter(user__is_active=True)
        .exists()
    )


LAST_OWNER = "{app} needs at least one owner: make someone else an owner first."


def member_owner_kept_check(*, membership: Membership) -> None:
    """TeamRuleError if removing or demoting `membership` (its role as stored) would leave the
    app without an active owner. The services below check it under the app's lock; a form
    (the Django admin's inline) calls it to refuse early with the same message."""
    if not _keeps_an_owner(membership):
        raise TeamRuleError(LAST_OWNER.format(app=membership.mini_app.name))


def member_role_change(
    *, membership: Membership, actor: AbstractBaseUser | None, role: str
) -> Membership:
    if role not in MemberRole.values:
        raise TeamRuleError("Choose a role: owner, handler or viewer.")
    with transaction.atomic():
        membership = _member_locked(membership, actor)
        before = membership.role
        if before == role:
            return membership
        member_owner_kept_check(membership=membership)
        membership.role = role
        membership.save(update_fields=["role"])
        if role not in HANDLING_ROLES:
            # A viewer handles nothing: the reports they were assigned go back to the team.
            reports_unassign_member(
                mini_app=membership.mini_app,
                user=membership.user,
                actor=actor,
                why=f"role changed to {MemberRole(role).label}",
            )
        app_event_record(
            mini_app=membership.mini_app,
            kind=Kind.MEMBER_ROLE_CHANGED,
            actor=actor,
            email=membership.user.email,
            before=before,
            after=role,
        )
    return membership


def member_remove(*, membership: Membership, actor: AbstractBaseUser | None) -> None:
    with transaction.atomic():
        membership = _member_locked(membership, actor)
        member_owner_kept_check(membership=membership)
        membership.delete()
        # Their reports go back to the team, each with a history line.
        reports_unassign_member(
            mini_app=membership.mini_app,
            user=membership.user,
            actor=actor,
            why="removed from the team",
        )
        app_event_record(
            mini_app=membership.mini_app,
            kind=Kind.MEMBER_REMOVED,
            actor=actor,
            email=membership.user.email,
            role=membership.role,
        )


# --- A new mini app and its first owner (the admin's add form, `manage.py app_create`)


def mini_app_first_owner_invite(
    *, mini_app: MiniApp, owner_email: str, actor: AbstractBaseUser | None
) -> Invitation:
    """Record the app's creation and invite its first owner (an existing account joins by
    signing in from the link, a new person sets a password)."""
    with transaction.atomic():
        app_event_record(mini_app=mini_app, kind=Kind.APP_CREATED, actor=actor, name=mini_app.name)
        # Sent by the system: the installation admin is not a member of the app.
        return invitation_create(
            mini_app=mini_app, actor=None, email=owner_email, role=MemberRole.OWNER
        )


def mini_app_create(
    *, name: str, slug: str, support_email: str, owner_email: str, actor=None
) -> tuple[MiniApp, Invitation]:
    """A mini app and the invitation of its first owner, together or not at all. Raises
    django.core.exceptions.ValidationError for a bad name, slug or address."""
    with transaction.atomic():
        mini_app = MiniApp(name=name, slug=slug, support_email=support_email)
        mini_app.full_clean()
        mini_app.save()
        invitation = mini_app_first_owner_invite(
            mini_app=mini_app, owner_email=owner_email, actor=actor
        )
    return mini_app, invitation
