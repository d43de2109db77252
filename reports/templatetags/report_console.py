"""Cell formatting for the console's list rows and panel, in Python because a list page renders
these for 50 rows: an {% include %} per cell costs more than the database queries of the page."""

from datetime import datetime, timedelta
from html import escape as html_escape

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from reports.models import Report, Status, member_name
from reports.timeformat import when_html, when_text

register = template.Library()


def cell_html(template_text: str, *args) -> SafeString:
    """format_html for the rows' cells: each argument escaped as Django's escape does
    (html.escape of its text) unless already safe, without the lazy-string check
    format_html's escape makes on every call: that check was a third of the rows' render
    time on the bench (50 rows, 10 cells each; tests/reports/test_console_speed.py keeps
    the output equal to format_html's)."""
    return SafeString(template_text.format(*map(_escaped, args)))


def _escaped(value) -> str:
    if hasattr(value, "__html__"):
        return value.__html__()
    return html_escape(str(value))


@register.simple_tag
def local_time(value: datetime | None) -> SafeString | str:
    """The time in the viewer's timezone, the exact UTC time on hover (the site's one format)."""
    return when_html(value)


# Time left turns amber within this many hours of the deadline.
SOON = timedelta(hours=12)


def short_duration(delta: timedelta) -> str:
    """ "35 min", "5 h", "3 d": what fits in a pill (days from two days on)."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} d"
    if seconds >= 3600:
        return f"{seconds // 3600} h"
    return f"{max(seconds // 60, 1)} min"


@register.simple_tag
def status_badges(report: Report) -> SafeString:
    """The status pill ("Past due · 5 h" in red for a late pending report), "Reporter replied",
    and for a pending report the time left before its deadline (amber in the last 12 hours)."""
    now = timezone.now()
    pending = report.status == Status.PENDING
    overdue = pending and getattr(report, "is_overdue", report.due_at <= now)
    if pending and (overdue or report.past_due_at):
        late = f" · {short_duration(now - report.due_at)}" if overdue else ""
        html = cell_html(
            '<span class="pill pill-overdue" title="Deadline {}">Past due{}</span>',
            when_text(report.due_at),
            late,
        )
    else:
        html = cell_html(
            '<span class="pill pill-{}">{}</span>', report.status, report.get_status_display()
        )
        if report.past_due_at:
            html += cell_html(' <span class="pill pill-late">{}</span>', "Handled late")
    if report.reporter_replied_at:
        html += cell_html(' <span class="pill pill-replied">{}</span>', "Reporter replied")
    if pending and not overdue:
        left = report.due_at - now
        html += cell_html(
            ' <span class="{}" title="Deadline {}">{} left</span>',
            "time-left soon" if left <= SOON else "time-left",
            when_text(report.due_at),
            short_duration(left),
        )
    return html


@register.simple_tag
def assignee_badge(report: Report) -> SafeString | str:
    """Who the report is assigned to, short (first name or the e-mail's local part), the full
    name on hover and for screen readers; nothing when unassigned. The row's assignee must be
    loaded already (reports.selectors.with_assignees, or select_related)."""
    if not report.assignee_id:
        return ""
    user = report.assignee
    full = member_name(user)
    short = (user.first_name or "").strip() or full.split("@")[0]
    return cell_html(
        '<span class="assignee" title="Assigned to {}"><span class="visually-hidden">'
        "Assigned to </span>{}</span>",
        full,
        short,
    )


def _cut(text: str, length: int) -> str:
    """truncatechars, without its per-character walk when the text fits (combining marks only
    make the counted length shorter)."""
    return text if len(text) <= length else Truncator(text).chars(length)


@register.simple_tag
def report_row(report: Report, *, can_handle: bool, oob: bool = False) -> SafeString:
    """One row of the User reports list (and the panel's out-of-band copy of it).

    Built here rather than in the template, as the admin's changelist builds its rows: with
    the rows as ~25 template nodes each, the page's templates took 10.5 ms of a ~27 ms request
    on the bench, 6.7 ms with this tag (bench/console.py, docs/CONSOLE.md). `report` carries
    `urls`, `first_shot` and `more_shots` (reports.views._with_row_links) and its assignee
    (selectors.with_assignees)."""
    rid = report.report_id
    cells = []
    if can_handle:
        cells.append(
            cell_html(
                '<td class="select-col"><input type="checkbox" name="selected" value="{0}"'
                ' form="bulk-form" id="select-{0}"><label for="select-{0}"'
                ' class="visually-hidden">Select report {0}</label></td>',
                rid,
            )
        )
    cells.append(
        cell_html(
            '<td class="id-cell"><a class="mono one-line" href="{1}" hx-get="{1}"'
            ' hx-target="#panel" hx-swap="innerHTML" hx-push-url="false" data-panel-link'
            ' title="Open report {0}">{0}</a></td>',
            rid,
            report.urls["panel"],
        )
    )
    if report.open_id:
        cells.append(
            cell_html(
                '<td class="td-open mono one-line" dir="auto" title="{0}">{0}</td>',
                report.open_id,
            )
        )
    else:
        cells.append(
            mark_safe(  # noqa: S308 (fixed text)
                '<td class="td-open mono one-line" dir="auto">'
                '<span class="muted">not signed in</span></td>'
            )
        )
    type_name, category = report.issue_type.name, report.get_category_display()
    cells.append(
        cell_html(
            '<td class="td-type one-line" title="{0} · {1}">{0} <span class="muted">· {1}</span>'
            "</td>",
            type_name,
            category,
        )
    )
    if report.details:
        cells.append(
            cell_html(
                '<td class="details one-line" dir="auto" title="{}">{}</td>',
                _cut(report.details, 300),
                _cut(report.details, 200),
            )
        )
    else:
        cells.append(
            mark_safe(  # noqa: S308 (fixed text)
                '<td class="details one-line" dir="auto">'
                '<span class="muted">not collected for this category</span></td>'
            )
        )
    cells.append(cell_html('<td class="one-line time-cell">{}</td>', when_html(report.created_at)))
    if report.order_id:
        cells.append(
            cell_html(
                '<td class="td-order mono one-line" dir="auto" title="{0}">{0}</td>',
                report.order_id,
            )
        )
    else:
        cells.append(
            mark_safe(  # noqa: S308 (fixed text)
                '<td class="td-order mono one-line is-empty" dir="auto"><span class="muted">—'
                '<span class="visually-hidden">not a payment report</span></span></td>'
            )
        )
    if report.first_shot:
        more = (
            cell_html(' <span class="muted small">+{}</span>', report.more_shots)
            if report.more_shots
            else ""
        )
        cells.append(
            cell_html(
                '<td class="shot-cell"><a href="{}" target="_blank" rel="noopener"><img'
                ' class="thumb" src="{}" alt="Screenshot of report {}" loading="lazy"'
                ' width="48"></a>{}</td>',
                report.urls["screenshot"],
                report.urls["thumbnail"],
                rid,
                more,
            )
        )
    else:
        cells.append(
            mark_safe(  # noqa: S308 (fixed text)
                '<td class="shot-cell is-empty"><span class="muted">—'
                '<span class="visually-hidden">no screenshots</span></span></td>'
            )
        )
    cells.append(
        cell_html('<td class="status">{} {}</td>', status_badges(report), assignee_badge(report))
    )
    return cell_html(
        '<tr id="row-{}" data-report-row data-panel-url="{}"{}>\n      {}\n    </tr>',
        rid,
        report.urls["panel"],
        mark_safe(' hx-swap-oob="true"') if oob else "",  # noqa: S308 (fixed text)
        mark_safe("\n      ".join(cells)),  # noqa: S308 (each cell built by format_html)
    )
