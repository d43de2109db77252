"""Every read the console needs, with its queries visible here."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from .models import MiniApp


def mini_apps_for_user(*, user: AbstractBaseUser) -> QuerySet[MiniApp]:
    if not user.is_active:
        return MiniApp.objects.none()
    return MiniApp.objects.filter(memberships__user=user).order_by("name")


def mini_app_for_member(*, user: AbstractBaseUser, slug: str) -> MiniApp:
    """The mini app, if the user belongs to it; a 404 otherwise, so outsiders learn nothing."""
    try:
        return mini_apps_for_user(user=user).get(slug=slug)
    except MiniApp.DoesNotExist:
        raise Http404("No such mini app.") from None
