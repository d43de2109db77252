"""Who may change what in a mini app: the one place a member's role is checked.

Every service that changes an app's state calls role_require first, so a view, the API, an
admin action or a task cannot forget it; templates only hide what would be refused here.
"""

from collections.abc import Collection

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from .models import HANDLING_ROLES, MANAGING_ROLES, ApiKey, Membership

__all__ = [
    "HANDLING_ROLES",
    "MANAGING_ROLES",
    "RoleRequired",
    "api_key_handle_require",
    "member_role",
    "role_require",
]


class RoleRequired(PermissionDenied):
    """The actor's role in the mini app does not allow the change; Django answers 403."""


def member_role(*, user: AbstractBaseUser, mini_app_id: int) -> str | None:
    """The user's role in the mini app, or None for a non-member or an inactive account."""
    if not user.is_active:
        return None
    return (
        Membership.objects.filter(user=user, mini_app_id=mini_app_id)
        .values_list("role", flat=True)
        .first()
    )


def role_require(
    *, actor: AbstractBaseUser | None, mini_app_id: int, roles: Collection[str]
) -> None:
    """Refuse (RoleRequired) unless the actor may make a change that needs one of `roles`.

    None is the system itself (beat jobs, tasks). An installation admin who is not a member
    acts through the Django admin, whose own permissions already let them change reports.
    """
    if actor is None:
        return
    role = member_role(user=actor, mini_app_id=mini_app_id)
    if role in roles:
        return
    if role is None and actor.is_active and actor.has_perm("reports.change_report"):
        return
    raise RoleRequired("Your role in this mini app does not allow this change.")


def api_key_handle_require(*, api_key: ApiKey | None, mini_app_id: int) -> None:
    """Refuse (RoleRequired) a change made through an API key that may not make it.

    An API key acts as the system (actor None, so role_require lets it through) with its own
    authority: a live key of this app with the `handle` scope. Checked in the service, so no
    entry point can forget the scope.
    """
    if api_key is not None and not api_key.may_handle(mini_app_id):
        raise RoleRequired("This API key may only read reports; create a key with Handle scope.")
