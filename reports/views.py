"""The developer console: thin views over reports.selectors (reads) and reports.services (writes).

Every view of a mini app starts with mini_app_for_member: a 404 for anyone who is not a member.
"""

from datetime import UTC

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .console import console_render
from .daily_summary import member_preferences_for
from .export import export_csv_lines, reports_for_export
from .filters import DEFAULT_SORT, INSTANT_FILTERS, SORT_COLUMNS, SORT_LABELS, TOOLBAR_FILTERS
from .forms import (
    AssignForm,
    BulkActionForm,
    InsertSavedReplyForm,
    NotificationPreferencesForm,
    ReportActionForm,
    SavedReplyForm,
    SavedViewForm,
    TimezoneForm,
)
from .middleware import TIMEZONE_COOKIE
from .models import Category, Membership, MiniApp, Report, ReportEvent, Status
from .reminders import member_notifications_set, member_timezone_set
from .screenshots import screenshot_response
from .selectors import (
    ReportPage,
    added_screenshot_for_member,
    console_nav,
    handling_members,
    list_state_query,
    mini_app_for_member,
    mini_apps_for_user,
    new_reports_count,
    report_filter,
    report_for_member,
    report_history,
    report_screenshots,
    reports_for_bulk,
    reports_page,
    saved_replies_for_app,
    saved_reply_for_member,
    saved_view_for_member,
    saved_views_for_member,
    screenshot_for_member,
    screenshot_ids,
    with_deadlines,
)
from .services import (
    BULK_LIMIT,
    Dismissal,
    ReportConflict,
    ReportRuleError,
    report_assign,
    report_dismiss,
    report_notes_edit,
    report_reopen,
    report_reply,
    report_resolve,
    reports_bulk_handle,
    saved_reply_delete,
    saved_reply_save,
    saved_view_delete,
    saved_view_save,
)
from .timeformat import when_text

LIST_TEMPLATE = "reports/report_list.html"
PANEL_TEMPLATE = "reports/report_detail.html"


def _fragment(request: HttpRequest) -> bool:
    """An HTMX swap wants the partial; a history restore after a cache miss wants the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _varies_on_htmx(response: HttpResponse) -> HttpResponse:
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _timezone_context(request: HttpRequest) -> dict:
    zone = getattr(request, "viewer_timezone", UTC)
    offset = timezone.localtime(timezone=zone).strftime("%z")
    return {
        "viewer_timezone": str(zone),
        "viewer_timezone_offset": f"UTC{offset[:3]}:{offset[3:]}",
        "viewer_timezone_known": getattr(request, "viewer_timezone_known", False),
    }


@login_required
def console_home(request: HttpRequest) -> HttpResponse:
    mini_apps = list(mini_apps_for_user(user=request.user))
    if len(mini_apps) == 1:
        return redirect("reports:report_list", app_slug=mini_apps[0].slug)
    return render(request, "reports/console_home.html", {"mini_apps": mini_apps})


# --- The User reports list


def _query(params: QueryDict, **changes) -> str:
    """The current list state with some parameters changed (None removes one)."""
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _list_links(params: QueryDict, page: ReportPage) -> dict:
    paging = {"after": None, "before": None}
    current = page.sort.lstrip("-")
    descending = page.sort.startswith("-")
    sorts = {}
    for name, column in SORT_COLUMNS.items():
        if name == current:
            target = name if descending else f"-{name}"
            aria = "descending" if descending else "ascending"
        else:
            target = f"{column.first_direction}{name}"
            aria = None
        sorts[name] = {"url": _query(params, ordering=target, **paging), "aria_sort": aria}
    tabs = [
        {
            "tab": tab,
            "url": _query(params, status=tab.value or None, **paging),
            "current": params.get("status", "") == tab.value,
        }
        for tab in page.tabs
    ]
    return {
        "sorts": sorts,
        "tabs": tabs,
        "next_url": page.next_cursor and _query(params, after=page.next_cursor, before=None),
        "previous_url": page.previous_cursor
        and _query(params, before=page.previous_cursor, after=None),
        "first_url": None if page.is_first else _query(params, **paging),
        "export_query": _query(params, **paging),
        "state_query": params.urlencode(),
    }


# The filters shown as removable chips: (parameter, label), the toolbar's first.
CHIP_FILTERS = (*TOOLBAR_FILTERS.items(), *INSTANT_FILTERS.items())


def _filter_chips(params: QueryDict, filterset) -> list[dict]:
    """Each active filter with the list's URL without it (the chip's "remove" link)."""
    fields = filterset.form.fields
    chips = []
    for name, label in CHIP_FILTERS:
        value = params.get(name, "").strip()
        if not value:
            continue
        shown = value
        if name in INSTANT_FILTERS:
            shown = when_text(filterset.form.cleaned_data.get(name)) or value
        choices = getattr(fields.get(name), "choices", None) or []
        for choice, text in choices:
            options = text if isinstance(text, list | tuple) else [(choice, text)]
            for option, option_text in options:
                if str(option) == value:
                    shown = str(option_text)
        chips.append(
            {
                "label": label,
                "value": shown,
                "url": _query(params, **{name: None, "after": None, "before": None}),
            }
        )
    return chips


def _with_row_links(
    mini_app: MiniApp, reports: list[Report], shot_ids: dict[int, list[int]]
) -> list[Report]:
    """Each row's panel and screenshot URLs, reversed once per page rather than per cell;
    `shot_ids`: each report's screenshot IDs in order (selectors.screenshot_ids)."""
    slug, marker = mini_app.slug, "REPORTID"
    panel = reverse("reports:report_detail", args=[slug, marker])
    image = reverse("reports:screenshot", args=[slug, marker, 0]).replace("/0/", "/{shot}/")
    thumb = reverse("reports:screenshot_thumbnail", args=[slug, marker, 0])
    thumb = thumb.replace("/0/", "/{shot}/")
    for report in reports:
        shots = shot_ids.get(report.pk, [])
        first = shots[0] if shots else None
        report.first_shot, report.more_shots = first, max(len(shots) - 1, 0)
        report.urls = {"panel": panel.replace(marker, report.report_id)}
        if first:
            report.urls["screenshot"] = image.replace(marker, report.report_id).format(shot=first)
            report.urls["thumbnail"] = thumb.replace(marker, report.report_id).format(shot=first)
    return reports


def _saved_view_tabs(request: HttpRequest, mini_app: MiniApp, list_url: str) -> dict:
    """The second row of tabs: "Assigned to me" (handlers and owners), then the member's own
    saved views and the team's shared ones; the one matching the list's state is current."""
    state = list_state_query(request.GET)
    views = saved_views_for_member(mini_app=mini_app, user=request.user)
    tabs = []
    if mini_app.member_can_handle:
        tabs.append({"label": "Assigned to me", "query": "assignee=me", "view": None})
    tabs += [{"label": view.name, "query": view.query, "view": view} for view in views]
    for tab in tabs:
        tab["url"] = f"{list_url}?{tab['query']}" if tab["query"] else list_url
        # Stored queries compare as the list's state would write them (parameters in order).
        tab["current"] = list_state_query(QueryDict(tab["query"])) == state
    return {"view_tabs": tabs, "state_view_query": state}


def _new_reports_poll(request: HttpRequest, mini_app: MiniApp, page: ReportPage) -> dict:
    """What the "N new reports" notice polls, or nothing: only the first page sorted newest
    first polls, since only there do new reports arrive at the top, above what is read."""
    if page.sort != DEFAULT_SORT or not page.is_first or page.errors:
        return {}
    url = reverse("reports:reports_new_count", args=[mini_app.slug])
    since = page.reports[0].report_id if page.reports else ""
    query = _query(request.GET, after=None, before=None, since=since)
    # "Show them" opens the list's first page: without the paging that led back to it.
    first_page = reverse("reports:report_list", args=[mini_app.slug])
    first_page += _query(request.GET, after=None, before=None)
    return {
        "url": url + query,
        "seconds": settings.CONSOLE_NEW_REPORTS_POLL_SECONDS,
        "list_url": first_page.removesuffix("?"),
    }


def _sort_description(sort: str) -> str:
    label = SORT_LABELS[sort.lstrip("-")].lower()
    return f"{label}, {'descending' if sort.startswith('-') else 'ascending'}"


@login_required
@require_GET
def report_list(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    page = reports_page(mini_app=mini_app, params=request.GET, user=request.user)
    _with_row_links(mini_app, page.reports, screenshot_ids(reports=page.reports))
    fragment = _fragment(request)
    list_url = reverse("reports:report_list", args=[mini_app.slug])
    context = {
        "mini_app": mini_app,
        "page": page,
        "fragment": fragment,
        "list_url": list_url,
        "sort_description": _sort_description(page.sort),
        "filter": page.filterset,
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("ordering",)),
        "chips": _filter_chips(request.GET, page.filterset),
        # "Clear all" keeps the status tab and the sort: they are not filters of the toolbar.
        "clear_url": _query(
            request.GET, **{name: None for name, _ in CHIP_FILTERS}, after=None, before=None
        ),
        "sort_labels": SORT_LABELS,
        "bulk_limit": BULK_LIMIT,
        "bulk_reasons": [c for c in BulkActionForm.base_fields["reason"].choices if c[0]],
        "statuses": Status,
        "new_reports_poll": _new_reports_poll(request, mini_app, page),
        **_list_links(request.GET, page),
        **_saved_view_tabs(request, mini_app, list_url),
        **_timezone_context(request),
    }
    if not fragment:
        context["console_nav"] = console_nav(
            mini_app=mini_app, user=request.user, path=request.path
        )
    template = LIST_TEMPLATE + "#results" if fragment else LIST_TEMPLATE
    return _varies_on_htmx(render(request, template, context))


@login_required
@require_GET
def reports_new_count(request: HttpRequest, app_slug: str) -> JsonResponse:
    """How many reports matching the list's filters arrived after `since` (a report ID), for
    the list's "N new reports, show them" notice; members only, as the list."""
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    params = request.GET.copy()
    since = params.pop("since", [""])[-1]
    new = new_reports_count(mini_app=mini_app, params=params, since=since, user=request.user)
    return JsonResponse({"count": new.count, "capped": new.capped, "display": new.display})


# --- The handling panel


def _panel(
    request: HttpRequest,
    mini_app: MiniApp,
    report: Report,
    *,
    form: ReportActionForm | None = None,
    assign_form: AssignForm | None = None,
    message: str = "",
    error: str = "",
    draft_notes: str | None = None,
    status: int = 200,
    changed: bool = False,
) -> HttpResponse:
    screenshots = report_screenshots(report=report)
    _with_row_links(
        mini_app, with_deadlines([report]), {report.pk: [shot.pk for shot in screenshots]}
    )
    if form is None:
        notes = draft_notes if draft_notes is not None else report.notes
        form = ReportActionForm(initial={"version": report.version, "notes": notes})
    if mini_app.member_can_handle and assign_form is None:
        assign_form = AssignForm(
            initial={"version": report.version, "assignee": report.assignee_id or ""},
            members=handling_members(mini_app=mini_app),
            user=request.user,
            current=report.assignee_id,
        )
    context = {
        "mini_app": mini_app,
        "report": report,
        "screenshots": screenshots,
        "history": report_history(report=report),
        "saved_replies": saved_replies_for_app(mini_app=mini_app)
        if mini_app.member_can_handle
        else [],
        "form": form,
        "assign_form": assign_form,
        "message": message,
        "error": error,
        "draft_notes": draft_notes,
        # After a change, the list row beside the panel is swapped too (out of band).
        "oob_row": changed,
        # The panel on its own page (a full page, or a form posted from it through htmx: its
        # container sends X-Panel-Page) has the page's <h1> and no link to itself.
        "own_page": not _fragment(request) or request.headers.get("X-Panel-Page") == "1",
        "statuses": Status,
        "categories": Category,
        **_timezone_context(request),
    }
    if _fragment(request):
        template = PANEL_TEMPLATE + "#panel"
    else:
        template = PANEL_TEMPLATE
        context["console_nav"] = console_nav(
            mini_app=mini_app, user=request.user, path=request.path
        )
    return _varies_on_htmx(render(request, template, context, status=status))


@login_required
@require_GET
def report_detail(request: HttpRequest, app_slug: str, report_id: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    report = report_for_member(mini_app=mini_app, report_id=report_id)
    return _panel(request, mini_app, report)


ACTION_MESSAGES = {
    "notes": "Notes saved.",
    "reply": "Reply sent to the reporter.",
    "resolve": "Report resolved.",
    "dismiss": "Report dismissed.",
    "reopen": "Report reopened: it is pending again.",
}


def _apply(action: str, report: Report, actor, form: ReportActionForm) -> None:
    """Call the service for a panel button; the notes typed beside it are never dropped
    (a reply alone leaves them in the editor, unsaved)."""
    version, notes = form.cleaned_data["version"], form.cleaned_data["notes"]
    reply = form.cleaned_data["reply"]
    changed_notes = notes if notes != report.notes else None
    if action == "notes":
        report_notes_edit(report=report, actor=actor, notes=notes, expected_version=version)
    elif action == "reply":
        report_reply(report=report, actor=actor, text=reply)
    elif action == "resolve":
        report_resolve(
            report=report, actor=actor, notes=changed_notes, expected_version=version, reply=reply
        )
    elif action == "dismiss":
        report_dismiss(
            report=report,
            actor=actor,
            dismissal=form.dismissal,
            notes=changed_notes,
            expected_version=version,
            reply=reply,
        )
    else:
        report_reopen(report=report, actor=actor, notes=changed_notes, expected_version=version)


def _change_conflict_message(history: list[ReportEvent]) -> str:
    latest = next((e for e in history if e.actor_id), None)
    if latest is None:
        return "Not saved: this report changed after you opened it. Review it and try again."
    when = when_text(latest.created_at)  # the panel shows the viewer's zone above
    return (
        f"Not saved: this report changed after you opened it "
        f"({latest.get_kind_display().lower()} by {latest.actor.get_username()} at {when}). "
        "Its current state is shown here; anything you typed is still in the editor."
    )


@login_required
@require_POST
def report_action(request: HttpRequest, app_slug: str, report_id: str, action: str):
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    report = report_for_member(mini_app=mini_app, report_id=report_id)
    form = ReportActionForm(request.POST, action=action)
    if not form.is_valid():
        return _panel(request, mini_app, report, form=form, status=422)
    notes = form.cleaned_data["notes"]
    if action == "insert":
        return _insert_saved_reply(request, mini_app, report, form)
    if action == "notes" and notes == report.notes:
        return _panel(request, mini_app, report, message="The notes have not changed.")
    try:
        _apply(action, report, request.user, form)
    except ReportRuleError as problem:
        if action in ("reply", "dismiss"):
            # The input broke a rule (a duplicate of a report of another app...): the form
            # is shown again as typed, with the reason.
            form.add_error(None, str(problem))
            return _panel(request, mini_app, report, form=form, status=422)
        current = report_for_member(mini_app=mini_app, report_id=report_id)
        return _panel(request, mini_app, current, error=str(problem), status=409, changed=True)
    except ReportConflict as problem:
        current = report_for_member(mini_app=mini_app, report_id=report_id)
        draft = notes if notes != current.notes else None
        if action == "notes" or not current.is_handled:
            # Not about who handled it: say what changed, and by whom.
            message = _change_conflict_message(report_history(report=current))
        else:
            message = problem.message
        return _panel(
            request,
            mini_app,
            current,
            error=message,
            draft_notes=draft,
            status=409,
            changed=True,
        )
    current = report_for_member(mini_app=mini_app, report_id=report_id)
    # A reply saves no notes: typed ones stay in the editor, marked as not saved yet.
    draft = notes if action == "reply" and notes != current.notes else None
    if not _fragment(request) and draft is None:
        messages.success(request, ACTION_MESSAGES[action])
        return redirect("reports:report_detail", app_slug=mini_app.slug, report_id=report_id)
    return _panel(
        request,
        mini_app,
        current,
        message=ACTION_MESSAGES[action],
        draft_notes=draft,
        changed=True,
    )


@login_required
@require_POST
def report_assign_view(request: HttpRequest, app_slug: str, report_id: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    report = report_for_member(mini_app=mini_app, report_id=report_id)
    members = handling_members(mini_app=mini_app)
    form = AssignForm(request.POST, members=members, user=request.user, current=report.assignee_id)
    if not form.is_valid():
        return _panel(request, mini_app, report, assign_form=form, status=422)
    assignee = form.assignee_user
    try:
        current = report_assign(
            report=report,
            assignee=assignee,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except ReportRuleError as problem:
        form.add_error("assignee", str(problem))
        return _panel(request, mini_app, report, assign_form=form, status=422)
    except ReportConflict:
        current = report_for_member(mini_app=mini_app, report_id=report_id)
        message = _change_conflict_message(report_history(report=current))
        return _panel(request, mini_app, current, error=message, status=409, changed=True)
    if assignee is None:
        done = "Report unassigned."
    elif assignee.pk == request.user.pk:
        done = "Report assigned to you."
    else:
        done = f"Report assigned to {assignee.display_name}."
    if not _fragment(request):
        messages.success(request, done)
        return redirect("reports:report_detail", app_slug=mini_app.slug, report_id=report_id)
    current = report_for_member(mini_app=mini_app, report_id=current.report_id)
    return _panel(request, mini_app, current, message=done, changed=True)


def _insert_saved_reply(
    request: HttpRequest, mini_app: MiniApp, report: Report, form: ReportActionForm
) -> HttpResponse:
    """Put a saved reply, its placeholders filled in, into the reply box (after what is typed
    there); nothing is saved or sent, everything typed stays as it was."""
    choice = InsertSavedReplyForm(request.POST)
    data = request.POST.copy()
    message, error, status = "", "", 200
    if choice.is_valid():
        saved = saved_reply_for_member(
            mini_app=mini_app, saved_reply_id=choice.cleaned_data["saved_reply"]
        )
        typed = form.cleaned_data["reply"]
        data["reply"] = f"{typed}\n\n{saved.filled(report)}" if typed else saved.filled(report)
        message = "Saved reply inserted: edit it if needed, then send it."
    else:
        error, status = choice.errors["saved_reply"][0], 422
    notes = form.cleaned_data["notes"]
    return _panel(
        request,
        mini_app,
        report,
        form=ReportActionForm(data),
        message=message,
        error=error,
        draft_notes=notes if notes != report.notes else None,
        status=status,
    )


@login_required
@require_GET
def screenshot(
    request: HttpRequest, app_slug: str, report_id: str, screenshot_id: int, thumbnail: bool
) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    shot = screenshot_for_member(
        mini_app=mini_app, report_id=report_id, screenshot_id=screenshot_id
    )
    return screenshot_response(shot, thumbnail=thumbnail)


@login_required
@require_GET
def added_screenshot(
    request: HttpRequest, app_slug: str, report_id: str, screenshot_id: int, thumbnail: bool
) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    shot = added_screenshot_for_member(
        mini_app=mini_app, report_id=report_id, screenshot_id=screenshot_id
    )
    return screenshot_response(shot, thumbnail=thumbnail)


# --- Bulk actions and CSV export


@login_required
@require_POST
def reports_bulk(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    form = BulkActionForm(request.POST)
    valid = form.is_valid()
    # The list's state whole, as the form took it (too long: refused, never cut short, which
    # could drop a filter and act on more reports than the list showed).
    state = QueryDict(form.cleaned_data.get("query", ""))
    back = reverse("reports:report_list", args=[mini_app.slug]) + _query(state)
    if not valid:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    reports = reports_for_bulk(
        mini_app=mini_app,
        report_ids=data["selected"],
        params=state if data["all_matching"] else None,
        limit=BULK_LIMIT,
        user=request.user,
    )
    result = reports_bulk_handle(
        reports=reports,
        actor=request.user,
        status=Status.RESOLVED if data["action"] == "resolve" else Status.DISMISSED,
        note=data["note"],
        dismissal=Dismissal(data["reason"]) if data["action"] == "dismiss" else None,
    )
    done = "Resolved" if data["action"] == "resolve" else "Dismissed"
    handled, conflicts = result.summary(done=done, noun="report")
    messages.success(request, handled)
    if conflicts:
        messages.warning(request, conflicts)
    if data["all_matching"] and len(reports) == BULK_LIMIT:
        messages.info(
            request,
            f"At most {BULK_LIMIT} reports are handled at once: repeat for the remaining ones.",
        )
    return HttpResponseRedirect(back)


@login_required
@require_GET
def reports_export(request: HttpRequest, app_slug: str) -> StreamingHttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    rows = reports_for_export(mini_app=mini_app, params=request.GET, user=request.user)
    # The generator runs after this view returns: it gets the zone, not the request.
    zone = getattr(request, "viewer_timezone", UTC)
    response = StreamingHttpResponse(
        export_csv_lines(rows, zone), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="reports-{mini_app.slug}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The viewer's timezone


@login_required
def timezone_choose(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("reports:console_home")
    if request.method == "POST":
        form = TimezoneForm(request.POST)
        if form.is_valid():
            response = HttpResponseRedirect(next_url)
            response.set_cookie(
                TIMEZONE_COOKIE,
                form.cleaned_data["timezone"],
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=request.is_secure(),
            )
            # The daily summary's hour is in the zone the developer last picked.
            member_timezone_set(user=request.user, timezone_name=form.cleaned_data["timezone"])
            messages.success(request, f"Times are now shown in {form.cleaned_data['timezone']}.")
            return response
    else:
        form = TimezoneForm(initial={"timezone": str(request.viewer_timezone)})
    context = {"form": form, "next": next_url, **_timezone_context(request)}
    return render(request, "reports/timezone.html", context)


# --- A developer's reminder e-mails for one mini app


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
    preferences = member_preferences_for(user=request.user)
    status = 200
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            member_notifications_set(membership=membership, **form.cleaned_data)
            messages.success(request, "Your e-mail notifications are saved.")
            return redirect("reports:notification_preferences", app_slug=app_slug)
        status = 422
    else:
        form = NotificationPreferencesForm(
            initial={
                "email_past_due": membership.email_past_due,
                "daily_summary": preferences.daily_summary,
                "daily_summary_hour": preferences.daily_summary_hour,
                # Never saved: the zone the console shows times in is the best guess.
                "timezone_name": str(request.viewer_timezone)
                if preferences._state.adding
                else preferences.timezone_name,
            }
        )
    context = {
        "form": form,
        "membership": membership,
        "mini_app": membership.mini_app,
        "user_email": request.user.email,
        "console_nav": console_nav(
            mini_app=membership.mini_app, user=request.user, path=request.path
        ),
    }
    return render(request, "reports/preferences.html", context, status=status)


# --- Saved replies


@login_required
@require_http_methods(["GET", "POST"])
def saved_replies(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    form = SavedReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved_reply_save(mini_app=mini_app, actor=request.user, **form.cleaned_data)
            except ReportRuleError as problem:
                form.add_error("title", str(problem))
            else:
                messages.success(request, "Saved reply added.")
                return redirect("reports:saved_replies", app_slug=mini_app.slug)
        status = 422
    context = {
        "mini_app": mini_app,
        "saved_replies": saved_replies_for_app(mini_app=mini_app),
        "form": form,
        "console_nav": console_nav(mini_app=mini_app, user=request.user, path=request.path),
    }
    return render(request, "reports/saved_replies.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request: HttpRequest, app_slug: str, saved_reply_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    saved = saved_reply_for_member(mini_app=mini_app, saved_reply_id=saved_reply_id)
    initial = {"title": saved.title, "body": saved.body}
    form = SavedReplyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved_reply_save(
                    mini_app=mini_app, actor=request.user, saved_reply=saved, **form.cleaned_data
                )
            except ReportRuleError as problem:
                form.add_error("title", str(problem))
            else:
                messages.success(request, "Saved reply changed.")
                return redirect("reports:saved_replies", app_slug=mini_app.slug)
        status = 422
    context = {
        "mini_app": mini_app,
        "saved_reply": saved,
        "form": form,
        "console_nav": console_nav(mini_app=mini_app, user=request.user, path=request.path),
    }
    return render(request, "reports/saved_reply_edit.html", context, status=status)


@login_required
@require_POST
def saved_reply_remove(request: HttpRequest, app_slug: str, saved_reply_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    saved = saved_reply_for_member(mini_app=mini_app, saved_reply_id=saved_reply_id)
    saved_reply_delete(saved_reply=saved, actor=request.user)
    messages.success(request, f"Saved reply “{saved.title}” deleted.")
    return redirect("reports:saved_replies", app_slug=mini_app.slug)


# --- Saved views of the list


def _view_form(request: HttpRequest, mini_app: MiniApp, data=None, **kwargs) -> SavedViewForm:
    members = handling_members(mini_app=mini_app)

    def validate(params):
        return report_filter(mini_app=mini_app, params=params, user=request.user, members=members)

    return SavedViewForm(data, validate_query=validate, **kwargs)


def _saved_views_page(request, mini_app, *, form=None, status=200) -> HttpResponse:
    views = saved_views_for_member(mini_app=mini_app, user=request.user)
    list_url = reverse("reports:report_list", args=[mini_app.slug])
    for view in views:
        view.url = f"{list_url}?{view.query}" if view.query else list_url
        view.is_mine = view.owner_id == request.user.pk
        view.deletable = view.is_mine or (view.shared and mini_app.member_is_owner)
    context = {"saved_views": views, "form": form, "list_url": list_url}
    return console_render(request, "reports/saved_views.html", mini_app, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def saved_views(request: HttpRequest, app_slug: str) -> HttpResponse:
    """The member's saved views (rename, share, delete); a POST saves the list's state."""
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    if request.method == "GET":
        return _saved_views_page(request, mini_app)
    form = _view_form(request, mini_app, request.POST)
    if form.is_valid():
        try:
            view = saved_view_save(mini_app=mini_app, actor=request.user, **form.cleaned_data)
        except ReportRuleError as problem:
            form.add_error("name", str(problem))
        else:
            messages.success(request, f"View “{view.name}” saved.")
            list_url = reverse("reports:report_list", args=[mini_app.slug])
            return redirect(f"{list_url}?{view.query}" if view.query else list_url)
    return _saved_views_page(request, mini_app, form=form, status=422)


@login_required
@require_POST
def saved_view_edit(request: HttpRequest, app_slug: str, saved_view_id: int) -> HttpResponse:
    """Rename or (un)share one's own view; the query stays as saved."""
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    view = saved_view_for_member(mini_app=mini_app, user=request.user, saved_view_id=saved_view_id)
    form = SavedViewForm(request.POST, prefix=f"view-{view.pk}")
    if form.is_valid():
        try:
            saved_view_save(
                mini_app=mini_app,
                actor=request.user,
                name=form.cleaned_data["name"],
                shared=form.cleaned_data["shared"],
                query=view.query,
                saved_view=view,
            )
        except ReportRuleError as problem:
            form.add_error("name", str(problem))
        else:
            messages.success(request, f"View “{view.name}” saved.")
            return redirect("reports:saved_views", app_slug=mini_app.slug)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _saved_views_page(request, mini_app, status=422)


@login_required
@require_POST
def saved_view_remove(request: HttpRequest, app_slug: str, saved_view_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    view = saved_view_for_member(mini_app=mini_app, user=request.user, saved_view_id=saved_view_id)
    saved_view_delete(saved_view=view, actor=request.user)
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect("reports:saved_views", app_slug=mini_app.slug)
