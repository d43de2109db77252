"""A developer's reminder e-mails for one mini app: the past-due digest and the due-soon digest."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .models import Membership
from .reminders import membership_notifications_set


class NotificationPreferencesForm(forms.Form):
    email_past_due = forms.BooleanField(
        label="E-mail me when reports become past due",
        help_text="One e-mail per run of the past-due job, listing the reports it marked.",
        required=False,
    )
    email_due_soon = forms.BooleanField(
        label="E-mail me a daily digest of reports due within 12 hours",
        help_text="Pending reports whose deadline is less than 12 hours away, once a day.",
        required=False,
    )


def _membership_for_user(request: HttpRequest, app_slug: str) -> Membership:
    """The user's own membership of the mini app; a 404 for anyone else, so nothing leaks."""
    try:
        return Membership.objects.select_related("mini_app").get(
            user=request.user, mini_app__slug=app_slug
        )
    except Membership.DoesNotExist:
        raise Http404("No such mini app.") from None


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest, app_slug: str) -> HttpResponse:
    membership = _membership_for_user(request, app_slug)
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            membership_notifications_set(membership=membership, **form.cleaned_data)
            messages.success(request, "Your e-mail notifications are saved.")
            return redirect("reports:notification_preferences", app_slug=app_slug)
    else:
        form = NotificationPreferencesForm(
            initial={
                "email_past_due": membership.email_past_due,
                "email_due_soon": membership.email_due_soon,
            }
        )
    context = {
        "form": form,
        "membership": membership,
        "mini_app": membership.mini_app,
        "user_email": request.user.email,
    }
    return render(request, "reports/preferences.html", context)
