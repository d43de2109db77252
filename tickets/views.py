"""The hosted help center: thin views over tickets.selectors and tickets.services."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reports.app_settings.selectors import help_center_content
from reports.models import Category, Report, Status
from reports.request_guards import not_saved_page
from reports.screenshots import screenshot_response
from reports.selectors import report_status_boxes
from reports.services import ReportNotSaved
from reports.signing import open_id_verify

from . import selectors, services
from .forms import AddInformationForm, CheckReportForm, ReportForm, form_token
from .limits import MAX_FORM_BYTES, MAX_SMALL_FORM_BYTES, form_body_limit, too_large_page
from .throttling import client_ip, rate_limits_hit

FAQ_QUERY_MAX_LENGTH = 200
FILED_COOKIE = "reportdesk_filed"  # shows "Report received" on the first view after filing
CATEGORY_HELP = {
    Category.EXPERIENCE: gettext_noop(
        "Something in the app doesn't work as it should: it crashes, a feature fails, "
        "it is slow or content doesn't load."
    ),
    Category.PAYMENT: gettext_noop(
        "A payment or order went wrong: you were charged but got nothing, charged twice or "
        "the wrong amount, or you want a refund."
    ),
    Category.COMMUNITY: gettext_noop(
        "Someone broke the community rules: harassment, hate speech, violence, scams, spam or "
        "content that isn't theirs."
    ),
}


def _categories() -> list[dict]:
    return [
        {"value": value, "label": _(label), "help": _(CATEGORY_HELP[value])}
        for value, label in Category.choices
    ]


def _reporter_timezone(request: HttpRequest, hint: str = "") -> str:
    """The zone the reporter's pages are shown in (reports.middleware reads the one timezone
    cookie); else the zone the form's page saw in the browser (checked where it is used)."""
    return str(request.viewer_timezone) if request.viewer_timezone_known else hint


def _signed_params(source) -> dict:
    return {name: source.get(name, "")[:200] for name in ("open_id", "ts", "sig")}


def _rate_limited(request: HttpRequest, retry_after: int, mini_app=None) -> HttpResponse:
    response = render(
        request,
        "tickets/rate_limited.html",
        {"mini_app": mini_app, "retry_minutes": max(1, (retry_after + 59) // 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@require_GET
def help_home(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = selectors.help_mini_app(slug=app_slug)
    # The owners' intro and FAQ in the reporter's language, searched on the server (?q=).
    help_content = help_center_content(
        mini_app=mini_app,
        language=translation.get_language() or "",
        query=request.GET.get("q", "")[:FAQ_QUERY_MAX_LENGTH],
    )
    return render(
        request,
        "tickets/help_home.html",
        {
            "mini_app": mini_app,
            "help_content": help_content,
            "categories": _categories(),
            "check_form": CheckReportForm(),
            "signed_query": _signed_query(request),
            "signed_fields": _signed_fields(request),
        },
    )


def _signed_fields(request: HttpRequest) -> dict:
    # The FAQ search form carries a signed link's parameters on, as the category links do.
    params = _signed_params(request.GET)
    return params if all(params.values()) else {}


def _signed_query(request: HttpRequest) -> str:
    # Keep a signed Open ID link's parameters from the help center to the form.
    params = _signed_params(request.GET)
    return "?" + urlencode(params) if all(params.values()) else ""


@require_http_methods(["GET", "POST"])
@form_body_limit(MAX_FORM_BYTES, too_large_page)
def report_new(request: HttpRequest, app_slug: str, category: str) -> HttpResponse:
    mini_app = selectors.help_mini_app(slug=app_slug)
    if category not in Category.values:
        raise Http404("No such category.")
    signed = _signed_params(request.POST if request.method == "POST" else request.GET)
    open_id = open_id_verify(mini_app=mini_app, **signed)
    context = {
        "mini_app": mini_app,
        "category": category,
        "category_label": _(Category(category).label),
        "category_help": _(CATEGORY_HELP[category]),
        "signed": signed if open_id else None,
        "signed_in": bool(open_id),
        "signed_link_rejected": bool(any(signed.values()) and not open_id),
    }
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, category=category)
        # A double-click or a resubmitted page: answer with the report already filed, before
        # the rate limit or the form's checks (the key's one lookup in this submission).
        submission_key = form_token(request.POST.get("submission_key"))
        earlier = services.ticket_replayed(mini_app=mini_app, submission_key=submission_key)
        if earlier:
            return redirect(services.report_status_path(earlier.report))
        limits = (
            ("submit_ip", client_ip(request)),
            ("submit_open_id", f"{mini_app.pk}:{open_id}" if open_id else ""),
        )
        # Refused before the costly validation once the limit is used up, but only a valid
        # submission counts: a form shown again with its errors costs the reporter nothing.
        throttled = rate_limits_hit(request, *limits, count=False)
        if not throttled and form.is_valid():
            throttled = rate_limits_hit(request, *limits)
            if not throttled:
                return _file_report(request, mini_app, form, open_id, submission_key)
        if throttled:
            return _rate_limited(request, throttled.retry_after, mini_app)
        context["files_dropped"] = bool(request.FILES)
    else:
        form = ReportForm(category=category, initial={"submission_key": secrets.token_urlsafe(24)})
    context["form"] = form
    return render(request, "tickets/report_form.html", context)


def _file_report(
    request: HttpRequest, mini_app, form: ReportForm, open_id: str, submission_key: str
) -> HttpResponse:
    tz_name = _reporter_timezone(request, form.cleaned_data.get("tz", ""))
    try:
        outcome = services.ticket_submit(
            mini_app=mini_app,
            data=form.report_input(
                source=Report.Source.HELP_CENTER, submission_key=submission_key, open_id=open_id
            ),
            language=translation.get_language() or "",
            tz_name=tz_name,
        )
    except ReportNotSaved:
        context = {"mini_app": mini_app, "category": form.category}
        return not_saved_page(request, "tickets/not_saved.html", context)
    report = outcome.report
    if outcome.link_emailed:
        # Matched by e-mail only: the service sent the link there; the page does not show it.
        return render(
            request,
            "tickets/duplicate.html",
            {"mini_app": mini_app, "report": report},
        )
    if outcome.duplicate:
        messages.info(
            request,
            _("You already sent this report. Here it is; we did not file it a second time."),
        )
    response = redirect(services.report_status_path(report))
    if not outcome.duplicate:
        # A signed cookie, not the session: reporters never cost a session row.
        response.set_signed_cookie(
            FILED_COOKIE,
            report.report_id,
            salt=FILED_COOKIE,
            max_age=600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_GET
def report_status(request: HttpRequest, app_slug: str, report_id: str) -> HttpResponse:
    mini_app = selectors.help_mini_app(slug=app_slug)
    report = selectors.report_for_reporter(
        mini_app=mini_app, report_id=report_id, key=request.GET.get("key", "")
    )
    filed = request.get_signed_cookie(FILED_COOKIE, default=None, salt=FILED_COOKIE, max_age=600)
    just_filed = filed == report.report_id
    response = _status_page(request, mini_app, report, just_filed=just_filed)
    if just_filed:
        response.delete_cookie(FILED_COOKIE, samesite="Lax")  # "Report received" shows once
    return response


def _status_page(
    request: HttpRequest,
    mini_app,
    report: Report,
    *,
    just_filed: bool = False,
    form: AddInformationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    response = render(
        request,
        "tickets/report_status.html",
        {
            "mini_app": mini_app,
            "report": report,
            "just_filed": just_filed,
            "tz": request.viewer_timezone,
            "tz_known": request.viewer_timezone_known,
            "key": report.access_key,
            "status_url": request.build_absolute_uri(services.report_status_path(report)),
            "response_hours": settings.REPORT_RESPONSE_HOURS,
            "is_pending": report.status == Status.PENDING,
            "information_form": form or AddInformationForm(),
            "information_refusal": selectors.information_refusal(report=report, now=timezone.now()),
            "information_days": selectors.ADD_INFORMATION_DAYS,
            # What appeals adds (the appeal box), read here: the template does not query.
            "status_boxes": report_status_boxes(report=report),
        },
        status=status,
    )
    # The page carries a secret link: keep it out of shared caches. Other sites never see it
    # as a referrer (SECURE_REFERRER_POLICY is same-origin); "no-referrer" would make Chromium
    # send "Origin: null" with this page's forms, which CSRF rightly refuses.
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@form_body_limit(MAX_FORM_BYTES, too_large_page)
def report_add_information(request: HttpRequest, app_slug: str, report_id: str) -> HttpResponse:
    mini_app = selectors.help_mini_app(slug=app_slug)
    report = selectors.report_for_reporter(
        mini_app=mini_app, report_id=report_id, key=request.GET.get("key", "")
    )
    form = AddInformationForm(request.POST, request.FILES)
    limits = (
        ("add_information_report", str(report.pk)),
        ("add_information_ip", client_ip(request)),
    )
    # As the report form: refused before the costly validation once the limit is used up,
    # and only a valid addition counts.
    throttled = rate_limits_hit(request, *limits, count=False)
    if not throttled and form.is_valid():
        throttled = rate_limits_hit(request, *limits)
        if not throttled:
            try:
                services.report_information_add(
                    report=report,
                    text=form.cleaned_data["text"],
                    screenshots=form.cleaned_data["screenshots"],
                )
            except services.InformationRefused as refused:
                form.add_error(None, str(refused))
                return _status_page(request, mini_app, report, form=form, status=409)
            except ReportNotSaved:
                form.add_error(None, _("We could not save this just now. Please send it again."))
                return _status_page(request, mini_app, report, form=form, status=503)
            messages.success(
                request, _("Thank you. The team can now see what you added to your report.")
            )
            return redirect(services.report_status_path(report))
    if throttled:
        return _rate_limited(request, throttled.retry_after, mini_app)
    return _status_page(request, mini_app, report, form=form, status=400)


@require_GET
def report_screenshot(
    request: HttpRequest, app_slug: str, report_id: str, position: int, thumbnail: bool = False
) -> HttpResponse:
    mini_app = selectors.help_mini_app(slug=app_slug)
    shot = selectors.report_screenshot_for_reporter(
        mini_app=mini_app,
        report_id=report_id,
        key=request.GET.get("key", ""),
        position=position - 1,
    )
    return screenshot_response(shot, thumbnail=thumbnail)


@require_http_methods(["GET", "POST"])
@form_body_limit(MAX_SMALL_FORM_BYTES, too_large_page)
def report_check(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = selectors.help_mini_app(slug=app_slug)
    if request.method == "GET":  # the form lives on the help center's front page
        return redirect(reverse("tickets:help_home", kwargs={"app_slug": mini_app.slug}))
    throttled = rate_limits_hit(request, ("check_ip", client_ip(request)))
    if throttled:
        return _rate_limited(request, throttled.retry_after, mini_app)
    form = CheckReportForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "tickets/help_home.html",
            {"mini_app": mini_app, "categories": _categories(), "check_form": form},
            status=400,
        )
    services.report_status_link_request(
        mini_app=mini_app,
        report_id=form.cleaned_data["report_id"],
        email=form.cleaned_data["email"],
        language=translation.get_language() or "",
        tz_name=_reporter_timezone(request),
    )
    # The same answer, in the same time, whether or not they match: nobody can probe which
    # reports exist.
    messages.success(
        request,
        _(
            "If a report with this ID was filed with this e-mail address, we have sent its "
            "status link there. It can take a few minutes to arrive."
        ),
    )
    return redirect(reverse("tickets:help_home", kwargs={"app_slug": mini_app.slug}))
