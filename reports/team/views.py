"""The team page (members, invitations, audit log) and the invitation link's page.

Thin: mini_app_for_member (a 404 for non-members), then a selector or a service; the services
check the role, so a handler's or viewer's POST is a 403 whatever the page showed.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..models import MemberRole
from ..roles import MANAGING_ROLES, role_require
from ..selectors import console_nav, mini_app_for_member
from . import selectors, services
from .forms import ROLE_HELP, InviteForm, NewAccountForm, RoleForm

TEAM_TEMPLATE = "reports/team/team.html"


def _team_page(request: HttpRequest, mini_app, invite_form=None, status=200) -> HttpResponse:
    context = {
        "mini_app": mini_app,
        "console_nav": console_nav(mini_app=mini_app, user=request.user, path=request.path),
        "members": selectors.team_members(mini_app=mini_app),
        "invitations": selectors.team_invitations_open(mini_app=mini_app),
        "events": selectors.app_events(mini_app=mini_app) if mini_app.member_is_owner else [],
        "invite_form": invite_form or InviteForm(),
        "roles": MemberRole.choices,
        "role_help": [(label, ROLE_HELP[value]) for value, label in MemberRole.choices],
    }
    return render(request, TEAM_TEMPLATE, context, status=status)


def _back(mini_app) -> HttpResponse:
    return redirect("reports:team", app_slug=mini_app.slug)


@login_required
@require_http_methods(["GET"])
def team(request: HttpRequest, app_slug: str) -> HttpResponse:
    return _team_page(request, mini_app_for_member(user=request.user, slug=app_slug))


@login_required
@require_POST
def team_invite(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    # Refused before the form is read: a viewer learns nothing from validation messages.
    role_require(actor=request.user, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                mini_app=mini_app, actor=request.user, **form.cleaned_data
            )
        except services.TeamRuleError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email} as {invitation.get_role_display()}. "
                "The link is valid for 7 days.",
            )
            return _back(mini_app)
    return _team_page(request, mini_app, invite_form=form, status=400)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, app_slug: str, invitation_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    invitation = selectors.invitation_of_app(mini_app=mini_app, invitation_id=invitation_id)
    try:
        services.invitation_resend(invitation=invitation, actor=request.user)
    except services.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"A new invitation link was sent to {invitation.email}.")
    return _back(mini_app)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, app_slug: str, invitation_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    invitation = selectors.invitation_of_app(mini_app=mini_app, invitation_id=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except services.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation of {invitation.email} was revoked.")
    return _back(mini_app)


@login_required
@require_POST
def member_role(request: HttpRequest, app_slug: str, membership_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    membership = selectors.membership_of_app(mini_app=mini_app, membership_id=membership_id)
    role_require(actor=request.user, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: owner, handler or viewer.")
        return _back(mini_app)
    try:
        changed = services.member_role_change(
            membership=membership, actor=request.user, role=form.cleaned_data["role"]
        )
    except services.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{changed.user.email} is now {changed.get_role_display().lower()}."
        )
    if membership.user_id == request.user.pk and not _still_owner(request, app_slug):
        return redirect("reports:report_list", app_slug=app_slug)
    return _back(mini_app)


@login_required
@require_POST
def member_remove(request: HttpRequest, app_slug: str, membership_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    membership = selectors.membership_of_app(mini_app=mini_app, membership_id=membership_id)
    try:
        services.member_remove(membership=membership, actor=request.user)
    except services.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{membership.user.email} was removed from {mini_app.name}.")
        if membership.user_id == request.user.pk:
            return redirect("reports:console_home")
    return _back(mini_app)


def _still_owner(request: HttpRequest, app_slug: str) -> bool:
    return mini_app_for_member(user=request.user, slug=app_slug).member_is_owner


# --- The invitation link: /accounts/invitations/<token>/

ACCEPT_TEMPLATE = "reports/team/invitation_accept.html"


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None or invitation.state != "open":
        state = invitation.state if invitation else "unknown"
        status = 404 if invitation is None else 410
        return render(
            request, ACCEPT_TEMPLATE, {"state": state, "invitation": invitation}, status=status
        )
    # Not "mini_app": base.html would show that app's console navigation (and its open
    # appeals count) to whoever holds the link.
    context = {"state": "open", "invitation": invitation, "invited_app": invitation.mini_app}
    user = request.user
    if user.is_authenticated:
        if services.email_normalize(user.email or user.get_username()) != invitation.email:
            if request.method == "POST":
                raise PermissionDenied("This invitation is for another e-mail address.")
            return render(request, ACCEPT_TEMPLATE, {**context, "wrong_account": True})
        if request.method == "POST":
            return _accepted(request, invitation, user)
        return render(request, ACCEPT_TEMPLATE, {**context, "join": True})
    if services.user_for_email(invitation.email) is not None:
        # An existing account signs in first, then comes back here to join.
        login_url = reverse("login") + "?next=" + request.path
        return render(request, ACCEPT_TEMPLATE, {**context, "login_url": login_url})
    form = NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user, _ = services.invitation_accept_as_new_user(
                invitation=invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationUnusable as error:
            return render(
                request, ACCEPT_TEMPLATE, {"state": error.state, "invitation": invitation}, 410
            )
        except services.TeamRuleError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return _welcome(request, invitation)
    status = 400 if form.is_bound else 200
    return render(request, ACCEPT_TEMPLATE, {**context, "form": form}, status=status)


def _accepted(request: HttpRequest, invitation, user) -> HttpResponse:
    try:
        services.invitation_accept(invitation=invitation, user=user)
    except services.InvitationUnusable as error:
        return render(
            request, ACCEPT_TEMPLATE, {"state": error.state, "invitation": invitation}, 410
        )
    return _welcome(request, invitation)


def _welcome(request: HttpRequest, invitation) -> HttpResponse:
    messages.success(
        request,
        f"Welcome to {invitation.mini_app.name}: you joined as "
        f"{invitation.get_role_display().lower()}.",
    )
    return redirect("reports:report_list", app_slug=invitation.mini_app.slug)
