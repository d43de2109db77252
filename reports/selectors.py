"""Every read the console needs, with its queries visible here."""

import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import F, Field, Func, Q, QuerySet, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from .filters import (
    DEFAULT_SORT,
    SORT_FLAGS,
    VIEW_PARAMS,
    ReportFilter,
    StatusTab,
    order_by_sort,
    sort_columns,
    status_tab_q,
    status_tabs_of,
    with_sort_flags,
)
from .hooks import CONSOLE_NAV_LINKS, REPORT_STATUS_BOXES, NavLink
from .models import (
    HANDLING_ROLES,
    AddedScreenshot,
    IssueType,
    MemberRole,
    MiniApp,
    Report,
    ReportEvent,
    SavedReply,
    SavedView,
    Screenshot,
    Status,
    member_name,
    new_access_key,
)
from .search import prefix_tsquery, word_search_rows

PAGE_SIZE = 50
# Tab counts stop counting here ("1,000+"): exact counts of a million rows cost a full scan
# on every page view, a bounded count costs at most this many rows per tab.
TAB_COUNT_CAP = 1_000


def mini_apps_for_user(*, user: AbstractBaseUser) -> QuerySet[MiniApp]:
    if not user.is_active:
        return MiniApp.objects.none()
    # The member's role rides along (the same join), for MiniApp.member_can_handle and co.
    return (
        MiniApp.objects.filter(memberships__user=user)
        .annotate(member_role=F("memberships__role"))
        .order_by("name")
    )


def mini_app_for_member(*, user: AbstractBaseUser, slug: str) -> MiniApp:
    """The mini app, if the user belongs to it; a 404 otherwise, so outsiders learn nothing.

    Read with every app of the member, kept as `member_apps` for the header's app switcher
    (console_nav): one statement for both, as fresh as the app's own `member_role`."""
    apps = list(mini_apps_for_user(user=user))
    for mini_app in apps:
        if mini_app.slug == slug:
            mini_app.member_apps = apps
            return mini_app
    raise Http404("No such mini app.")


# --- The User reports list


@dataclass(frozen=True)
class Tab:
    value: str
    label: str
    count: int | None  # None: not counted (a word search counts only "All")
    capped: bool

    @property
    def count_display(self) -> str:
        if self.count is None:
            return ""
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"


@dataclass
class ReportPage:
    filterset: ReportFilter
    reports: list[Report]
    tabs: list[Tab]
    sort: str
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True
    errors: list[str] = field(default_factory=list)


class _Row(Func):
    """A row value, `(a, b, c)`: compared as a whole it seeks straight into a composite index."""

    template = "(%(expressions)s)"
    output_field = Field()


def _after(columns: tuple[str, ...], values: Mapping, descending: bool):
    """Rows strictly after the anchor in the list's order."""
    lhs = _Row(*[F(c) for c in columns])
    fields = {f.attname: f for f in Report._meta.concrete_fields}
    fields.update({name: flag.output_field for name, flag in SORT_FLAGS.items()})
    rhs = _Row(*[Value(values[c], output_field=fields[c]) for c in columns])
    return LessThan(lhs, rhs) if descending else GreaterThan(lhs, rhs)


def reports_base(*, mini_app: MiniApp) -> QuerySet[Report]:
    return Report.objects.filter(mini_app=mini_app)


def handling_members(*, mini_app: MiniApp) -> list[AbstractBaseUser]:
    """The app's owners and handlers, the people a report can be assigned to, by name (one
    query); each with `display_name` (reports.services.member_name) and `is_active`."""
    users = list(
        get_user_model()
        .objects.filter(memberships__mini_app=mini_app, memberships__role__in=HANDLING_ROLES)
        .order_by("first_name", "last_name", "username")
    )
    for user in users:
        user.display_name = member_name(user)
    return users


def report_filter(
    *,
    mini_app: MiniApp,
    params: Mapping,
    user: AbstractBaseUser | None = None,
    members: list[AbstractBaseUser] | None = None,
) -> ReportFilter:
    if members is None:
        members = handling_members(mini_app=mini_app)
    return ReportFilter(
        params, queryset=reports_base(mini_app=mini_app), members=members, user=user
    )


def with_issue_types(reports: list[Report], issue_types: Mapping[str, IssueType]) -> list[Report]:
    """Each row's issue type from the catalogue the filters already read, rather than a join
    (50 more model instances a page). One added since the catalogue was read loads itself."""
    for report in reports:
        if report.issue_type_id in issue_types:
            report.issue_type = issue_types[report.issue_type_id]
    return reports


def with_assignees(reports: list[Report], members: list[AbstractBaseUser]) -> list[Report]:
    """Each row's assignee from the members already read, rather than a join per page."""
    by_id = {member.pk: member for member in members}
    for report in reports:
        if report.assignee_id in by_id:
            report.assignee = by_id[report.assignee_id]
    return reports


def reports_page(
    *,
    mini_app: MiniApp,
    params: Mapping,
    page_size: int | None = None,
    counts: bool = True,
    user: AbstractBaseUser | None = None,
) -> ReportPage:
    """One page of the list, by keyset (`after` / `before` a report ID), never by OFFSET:

    page 20,000 costs what page 1 costs. Queries: the issue-type choices, the exact-ID lookup
    (when searching), the anchor row if paging, the page, the tab counts (one statement, none
    when the page holds every match); a word search adds its bounded match count and planner
    settings. The rows' screenshots are
    the console's to read (screenshot_ids), the handling API lists none.
    counts=False skips the tab counts (the handling API shows no tabs).
    """
    page_size = page_size or PAGE_SIZE
    members = handling_members(mini_app=mini_app)
    filterset = report_filter(mini_app=mini_app, params=params, user=user, members=members)
    sort = filterset.sort
    columns, descending = sort_columns(sort)
    queryset = filterset.qs
    after, before = params.get("after", ""), params.get("before", "")
    anchor_id = (after or before)[:16].upper()
    anchor = None
    # Only a report ID can be an anchor (a NUL would be a database error on PostgreSQL).
    if anchor_id.isascii() and anchor_id.isalnum():
        anchor = (
            with_sort_flags(reports_base(mini_app=mini_app), columns)
            .filter(report_id=anchor_id)
            .values(*columns)
            .first()
        )
    page = ReportPage(
        filterset=filterset,
        reports=[],
        tabs=[],
        sort=sort,
        errors=[str(e) for errors in filterset.errors.values() for e in errors],
    )
    backwards = bool(anchor and before)
    if backwards:
        # The previous page: walk backwards from the anchor, then put the rows back in order.
        queryset = order_by_sort(queryset, sort, backwards=True)
        queryset = queryset.filter(_after(columns, anchor, not descending))
    elif anchor:
        queryset = queryset.filter(_after(columns, anchor, descending))
    if filterset.words_searched and connection.vendor == "postgresql":
        page.tabs = _word_search_tabs()
        # No words at all ("!!!") match nothing, with no query at all.
        words = filterset.searched_words if prefix_tsquery(filterset.searched_words) else ""
        rows = (
            word_search_rows(queryset[: page_size + 1], text=words, page_size=page_size + 1)
            if words
            else list(queryset[: page_size + 1])
        )
    else:
        rows = list(queryset[: page_size + 1])
        # A first page holding every match of every status counts its tabs from its rows
        # (an exact ID search, a small app): no statement.
        whole = not anchor and len(rows) <= page_size
        whole = whole and not filterset.form.cleaned_data.get("status")
        if counts:
            page.tabs = tabs_of_rows(rows) if whole else report_tabs(filterset=filterset)
    more = len(rows) > page_size
    rows = with_issue_types(with_deadlines(rows[:page_size]), filterset.issue_types)
    rows = with_assignees(rows, members)
    if backwards:
        page.reports = rows[::-1]
        page.is_first = not more
        page.previous_cursor = page.reports[0].report_id if more else None
        page.next_cursor = page.reports[-1].report_id if page.reports else None
        return page
    page.reports = rows
    page.is_first = anchor is None
    page.next_cursor = rows[-1].report_id if more else None
    page.previous_cursor = rows[0].report_id if anchor and rows else None
    return page


def _word_search_tabs() -> list[Tab]:
    """Under a word search the tabs filter but do not count: counting the matches of a common
    word means reading every one of them."""
    tabs = [(StatusTab.ALL, "All")] + StatusTab.CHOICES
    return [Tab(value=value, label=label, count=None, capped=False) for value, label in tabs]


def report_tabs(*, filterset: ReportFilter) -> list[Tab]:
    """All / Pending / Past due / Resolved / Dismissed, each counted up to TAB_COUNT_CAP,

    under the current search and filters, in one statement of bounded subqueries. The ORM's
    compiling, not the database, was most of these counts' cost: the per-status count is
    compiled once and bound to each status, and All is the sum of the three statuses (the
    database allows no other), capped as any count is.
    """
    base = filterset.queryset_without_status().order_by()

    def bounded(queryset: QuerySet) -> tuple[str, tuple]:
        sql, params = queryset.values("pk")[: TAB_COUNT_CAP + 1].query.sql_with_params()
        return f"(SELECT COUNT(*) FROM ({sql}) AS bounded)", params  # noqa: S608 (ORM SQL)

    marker = f"status-{secrets.token_hex(8)}"  # a value no filter can hold
    per_status, marked = bounded(base.filter(status=marker))
    at = marked.index(marker)
    parts, params = [], []
    for status in Status.values:
        parts.append(per_status)
        params.extend((*marked[:at], status, *marked[at + 1 :]))
    past_due, past_due_params = bounded(base.filter(status_tab_q(StatusTab.PAST_DUE)))
    parts.append(past_due)
    params.extend(past_due_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        *by_status, late = cursor.fetchone()
    counts = dict(zip(Status.values, by_status, strict=True))
    return _tabs(counts | {StatusTab.ALL: sum(by_status), StatusTab.PAST_DUE: late})


def tabs_of_rows(reports: list[Report]) -> list[Tab]:
    """report_tabs for reports all in hand: the same tabs, counted in Python."""
    counts = Counter(tab for report in reports for tab in status_tabs_of(report))
    counts[StatusTab.ALL] = len(reports)
    return _tabs(counts)


def _tabs(counts: Mapping[str, int]) -> list[Tab]:
    return [
        Tab(value, label, min(counts[value], TAB_COUNT_CAP), counts[value] > TAB_COUNT_CAP)
        for value, label in [(StatusTab.ALL, "All"), *StatusTab.CHOICES]
    ]


# --- New reports while the list is open (the "N new reports, show them" notice)

# The notice counts up to here and then shows "99+": a bounded COUNT, never a scan.
NEW_REPORTS_CAP = 99


@dataclass(frozen=True)
class NewReports:
    count: int
    capped: bool

    @property
    def display(self) -> str:
        return f"{NEW_REPORTS_CAP}+" if self.capped else str(self.count)


def new_reports_count(
    *, mini_app: MiniApp, params: Mapping, since: str, user: AbstractBaseUser | None = None
) -> NewReports:
    """Reports newer than `since` (the report ID at the top of the list the page shows) that
    match the list's search and filters (the same ReportFilter: one rule in one place),
    counted up to NEW_REPORTS_CAP + 1 rows.

    Newer means after it in report-time order, (created_at, id): a range scan of the app's
    time index (report_app_time and the status/category/type ones) from the anchor on. An
    empty `since` (the list showed nothing) counts every match; an unknown one counts none.
    Invalid filters count none, as the list shows none.
    """
    filterset = report_filter(mini_app=mini_app, params=params, user=user)  # assignee=me
    if not filterset.is_valid():
        return NewReports(count=0, capped=False)
    queryset = filterset.queryset_without_status()
    status = filterset.form.cleaned_data.get("status")
    if status:
        queryset = queryset.filter(status_tab_q(status))
    since_id = since[:16].upper()
    if since_id:
        if not (since_id.isascii() and since_id.isalnum()):
            return NewReports(count=0, capped=False)
        columns = ("created_at", "id")
        anchor = reports_base(mini_app=mini_app).filter(report_id=since_id).values(*columns)
        anchor = anchor.first()
        if anchor is None:
            return NewReports(count=0, capped=False)
        queryset = queryset.filter(_after(columns, anchor, descending=False))
    count = queryset.order_by().values("pk")[: NEW_REPORTS_CAP + 1].count()
    return NewReports(count=min(count, NEW_REPORTS_CAP), capped=count > NEW_REPORTS_CAP)


# --- One report: the reporter's pages (status page, appeal form)

# Compared against when the ID is unknown, so an unknown ID costs what a wrong key does.
_UNKNOWN_REPORT = Report(access_key=new_access_key())


def report_for_key_holder(*, app_slug: str, report_id: str, key: str) -> Report:
    """The report, if the key is its access key; 404 for a wrong, missing or foreign key, with
    no hint which part was wrong. The ID is read in any case. A wrong key and an unknown ID do
    the same work (one query, one constant-time comparison)."""
    report = (
        Report.objects.select_related("issue_type", "mini_app")
        .filter(mini_app__slug=app_slug, report_id=report_id.upper())
        .first()
    )
    matches = (report or _UNKNOWN_REPORT).access_key_matches(key)
    if report is None or not matches:
        raise Http404("No such report.")
    return report


# --- One report: the handling panel


def report_for_member(*, mini_app: MiniApp, report_id: str) -> Report:
    """The report of this mini app, or a 404 (another app's report ID is no different)."""
    try:
        return Report.objects.select_related("issue_type", "handled_by", "assignee").get(
            mini_app=mini_app, report_id=report_id.upper()
        )
    except Report.DoesNotExist:
        raise Http404("No such report.") from None


def screenshot_ids(*, reports: list[Report]) -> dict[int, list[int]]:
    """Each report's screenshot IDs in order, for the list's thumbnail and "+N": one query of
    two integer columns, where a prefetch built a Screenshot object for each."""
    ids: dict[int, list[int]] = {report.pk: [] for report in reports}
    if ids:
        shots = Screenshot.objects.filter(report_id__in=list(ids)).order_by("report_id", "position")
        for report_id, shot_id in shots.values_list("report_id", "pk"):
            ids[report_id].append(shot_id)
    return ids


def report_screenshots(*, report: Report) -> list[Screenshot]:
    return list(report.screenshots.order_by("position"))


def report_history(*, report: Report, oldest_first: bool = False) -> list[ReportEvent]:
    """The report's history with the author of each line: newest first for the report panel,
    oldest first for the appeal panel (read as the story leading to the appeal)."""
    order = ("created_at", "id") if oldest_first else ("-created_at", "-id")
    events = report.events.select_related("actor").prefetch_related("screenshots")
    return list(events.order_by(*order))


def screenshot_for_member(*, mini_app: MiniApp, report_id: str, screenshot_id: int) -> Screenshot:
    try:
        return Screenshot.objects.get(
            pk=screenshot_id, report__mini_app=mini_app, report__report_id=report_id.upper()
        )
    except Screenshot.DoesNotExist:
        raise Http404("No such screenshot.") from None


def added_screenshot_for_member(
    *, mini_app: MiniApp, report_id: str, screenshot_id: int
) -> AddedScreenshot:
    """A screenshot the reporter added to a report of this app; 404 for any other."""
    try:
        return AddedScreenshot.objects.get(
            pk=screenshot_id,
            event__report__mini_app=mini_app,
            event__report__report_id=report_id.upper(),
        )
    except AddedScreenshot.DoesNotExist:
        raise Http404("No such screenshot.") from None


def saved_replies_for_app(*, mini_app: MiniApp) -> list[SavedReply]:
    return list(SavedReply.objects.filter(mini_app=mini_app).order_by("title", "id"))


def saved_reply_for_member(*, mini_app: MiniApp, saved_reply_id: int) -> SavedReply:
    """One of the app's saved replies; 404 for another app's or none."""
    try:
        return SavedReply.objects.get(pk=saved_reply_id, mini_app=mini_app)
    except SavedReply.DoesNotExist:
        raise Http404("No such saved reply.") from None


# --- Saved views of the list


def saved_views_for_member(*, mini_app: MiniApp, user: AbstractBaseUser) -> list[SavedView]:
    """The member's own views, then the team's shared ones, each by name (one query)."""
    views = (
        SavedView.objects.filter(Q(owner=user) | Q(shared=True), mini_app=mini_app)
        .select_related("owner")
        .order_by("name", "id")
    )
    return sorted(views, key=lambda view: view.owner_id != user.pk)


def saved_view_for_member(
    *, mini_app: MiniApp, user: AbstractBaseUser, saved_view_id: int
) -> SavedView:
    """One of the member's own views or a shared one of the app; 404 for anything else
    (another member's private view is not theirs to see)."""
    try:
        return SavedView.objects.select_related("owner", "mini_app").get(
            Q(owner=user) | Q(shared=True), pk=saved_view_id, mini_app=mini_app
        )
    except SavedView.DoesNotExist:
        raise Http404("No such saved view.") from None


def list_state_query(params: Mapping) -> str:
    """The list's state as a saved view's query: only VIEW_PARAMS with a value, in order."""
    pairs = [(name, str(params.get(name, "")).strip()) for name in VIEW_PARAMS]
    kept = [(name, value) for name, value in pairs if value]
    return urlencode([(k, v) for k, v in kept if (k, v) != ("ordering", DEFAULT_SORT)])


# --- Bulk actions


def reports_for_bulk(
    *,
    mini_app: MiniApp,
    report_ids: list[str],
    params: Mapping | None,
    limit: int,
    user: AbstractBaseUser | None = None,
) -> list[Report]:
    """The selected reports, or (params given) the pending ones matching the list's filters
    (`user`: whom "Assigned to me" means)."""
    if params is not None:
        filterset = report_filter(mini_app=mini_app, params=params, user=user)
        queryset = filterset.qs.filter(status="pending")
    else:
        queryset = reports_base(mini_app=mini_app).filter(
            report_id__in=[r.upper() for r in report_ids[:limit]]
        )
    return list(queryset.select_related("issue_type").order_by("created_at", "id")[:limit])


def with_deadlines(reports: list[Report], *, now: datetime | None = None) -> list[Report]:
    """Mark each report overdue or not, for "2 hours left" / "Overdue by 3 hours"."""
    now = now or timezone.now()
    for report in reports:
        report.is_overdue = report.due_at <= now
    return reports


@dataclass(frozen=True)
class ConsoleNav:
    """The console header of a member's page: their apps to switch between, with their role
    in each, and the current app's pages."""

    mini_app: MiniApp
    apps: list[tuple[MiniApp, str]]
    links: list[NavLink]


def console_nav(*, mini_app: MiniApp, user: AbstractBaseUser, path: str) -> ConsoleNav:
    """The console's navigation for a member's page of `mini_app`: the reports list, what the
    outer apps add (appeals: its queue with the open count), the team, the integration, the
    app's settings (owners), the notification settings; and the member's apps for the
    switcher."""

    def link(label: str, name: str, part: str) -> NavLink:
        return NavLink(label, reverse(name, kwargs={"app_slug": mini_app.slug}), part in path)

    links = [link("User reports", "reports:report_list", "/reports/")]
    links.append(link("Insights", "reports:insights", "/insights/"))
    links += [provider(mini_app=mini_app, path=path) for provider in CONSOLE_NAV_LINKS]
    links.append(link("Saved replies", "reports:saved_replies", "/saved-replies/"))
    links.append(link("Team", "reports:team", "/team/"))
    links.append(link("Integration", "reports:integration", "/integration/"))
    if mini_app.member_is_owner:
        links.append(link("Settings", "reports:app_settings", "/settings/"))
    links.append(
        link("E-mail notifications", "reports:notification_preferences", "/notifications/")
    )
    roles = dict(MemberRole.choices)
    member_apps = getattr(mini_app, "member_apps", None) or mini_apps_for_user(user=user)
    apps = [(app, roles.get(app.member_role, "")) for app in member_apps]
    return ConsoleNav(mini_app=mini_app, apps=apps, links=links)


def report_status_boxes(*, report: Report) -> list[dict]:
    """What the outer apps show on the reporter's status page (appeals: the appeal box)."""
    boxes = (provider(report=report) for provider in REPORT_STATUS_BOXES)
    return [box for box in boxes if box is not None]
