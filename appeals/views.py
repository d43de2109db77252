"""Thin views: access helper -> selector/service -> render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from reports.request_guards import not_saved_page, request_body_limit
from reports.screenshots import MAX_SCREENSHOTS, MAX_SUBMISSION_BYTES, screenshot_response
from reports.selectors import (
    console_nav,
    mini_app_for_member,
    report_for_key_holder,
    report_history,
)
from reports.services import ReportConflict, ReportRuleError

from . import selectors, services
from .forms import AppealDecisionForm, AppealForm

# --- The reporter's side (keyed by the report's access key, no sign-in)


def _appeal_too_large(request: HttpRequest) -> HttpResponse:
    message = _(
        "Your screenshots are too large together. Attach at most %(count)d images of "
        "10 MB each, then send the appeal again."
    ) % {"count": MAX_SCREENSHOTS}
    return render(request, "appeals/too_large.html", {"message": message}, status=413)


@require_http_methods(["GET", "POST"])
# An oversized upload is refused from its header, before a byte of it is read (or CSRF-checked).
@request_body_limit(MAX_SUBMISSION_BYTES, _appeal_too_large)
def appeal_new(request: HttpRequest, app_slug: str, report_id: str) -> HttpResponse:
    report = report_for_key_holder(
        app_slug=app_slug, report_id=report_id, key=request.GET.get("key", "")
    )
    eligibility = selectors.appeal_eligibility(report=report)
    form, status = None, 200
    posted = request.method == "POST"
    if eligibility.allowed:
        initial = {"contact_email": report.contact_email}
        form = AppealForm(
            request.POST if posted else None, request.FILES if posted else None, initial=initial
        )
    if posted:
        if not eligibility.allowed:
            status = 409  # refused exactly as the page explains, whatever was posted
        elif form.is_valid():
            try:
                services.appeal_submit(
                    report=report,
                    contact_email=form.cleaned_data["contact_email"],
                    reason=form.cleaned_data["reason"],
                    screenshots=form.cleaned_data["screenshots"],
                )
            except services.AppealRefused:
                status = 409
                eligibility = selectors.appeal_eligibility(report=report)
                form = None
            except services.AppealNotSaved:
                context = {"report": report, "mini_app": report.mini_app}
                return not_saved_page(request, "appeals/not_saved.html", context)
            else:
                messages.success(
                    request, _("Your appeal was sent. We e-mailed you a confirmation.")
                )
                return redirect(services.appeal_page_path(report))
        else:
            status = 400
    context = {
        "report": report,
        "mini_app": report.mini_app,
        "eligibility": eligibility,
        "appeal": eligibility.latest,
        "form": form,
        "status_url": services.report_status_path(report),
    }
    response = render(request, "appeals/appeal_form.html", context, status=status)
    # The page carries the report's secret key: keep it out of shared caches. (The site-wide
    # same-origin referrer policy keeps it from other sites; "no-referrer" would make
    # browsers send "Origin: null" with this page's form, which CSRF checking refuses.)
    response["Cache-Control"] = "private, no-store"
    return response


# --- The developer's side (members of the mini app only; 404 for anyone else)


@require_GET
@login_required
def appeal_list(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    appeal_filter, page = selectors.appeals_for_app(mini_app=mini_app, params=request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "mini_app": mini_app,
        "filter": appeal_filter,
        "page": page,
        "appeals": page.object_list,
        "query": query.urlencode(),
        "open_count": selectors.appeals_open_count(mini_app=mini_app),
    }
    template_name = "appeals/appeal_list.html"
    # A history restore after a cache miss wants the whole page, not the table.
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#appeal-table"
    else:
        context["console_nav"] = console_nav(
            mini_app=mini_app, user=request.user, path=request.path
        )
    response = render(request, template_name, context)
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@login_required
def appeal_detail(request: HttpRequest, app_slug: str, appeal_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    appeal = selectors.appeal_for_member(mini_app=mini_app, appeal_id=appeal_id)
    form = AppealDecisionForm(request.POST or None, report=appeal.report)
    status = 200
    if request.method == "POST":
        if not appeal.is_open:
            messages.error(request, "This appeal was already decided.")
            return redirect(request.path)
        if form.is_valid():
            error = _decide(request, appeal, form.cleaned_data)
            if error is None:
                return redirect(request.path)
            form.add_error(None, error)
            status = 409
        else:
            status = 400
    context = {
        "mini_app": mini_app,
        "appeal": appeal,
        "report": appeal.report,
        "form": form,
        "history": report_history(report=appeal.report, oldest_first=True),
        "console_nav": console_nav(mini_app=mini_app, user=request.user, path=request.path),
    }
    return render(request, "appeals/appeal_detail.html", context, status=status)


def _decide(request: HttpRequest, appeal, data: dict) -> str | None:
    """Call the service for the chosen decision; the error to show, or None when done."""
    try:
        if data["decision"] == "uphold":
            services.appeal_uphold(appeal=appeal, actor=request.user, reply=data["reply"])
            messages.success(request, "Appeal upheld: the decision stands. The reporter was told.")
        else:
            decided = services.appeal_overturn(
                appeal=appeal,
                actor=request.user,
                reply=data["reply"],
                new_status=data["new_status"],
                expected_version=data["version"],
            )
            new_status = decided.report.get_status_display()
            messages.success(
                request,
                f"Appeal overturned: the report is now {new_status}. The reporter was told.",
            )
    except services.AppealConflict as conflict:
        return conflict.message
    except ReportConflict as conflict:
        return conflict.message
    except ReportRuleError as error:
        return str(error)
    return None


@require_GET
@login_required
def appeal_screenshot(
    request: HttpRequest, app_slug: str, appeal_id: int, position: int
) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    shot = selectors.appeal_screenshot_for_member(
        mini_app=mini_app, appeal_id=appeal_id, position=position
    )
    return screenshot_response(shot, thumbnail=request.GET.get("size") == "thumb")
