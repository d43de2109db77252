from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .selectors import mini_app_for_member, mini_apps_for_user


@login_required
def console_home(request: HttpRequest) -> HttpResponse:
    mini_apps = list(mini_apps_for_user(user=request.user))
    if len(mini_apps) == 1:
        return redirect("reports:report_list", app_slug=mini_apps[0].slug)
    return render(request, "reports/console_home.html", {"mini_apps": mini_apps})


@login_required
def report_list(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    reports = mini_app.reports.select_related("issue_type")[:50]
    return render(request, "reports/report_list.html", {"mini_app": mini_app, "reports": reports})
