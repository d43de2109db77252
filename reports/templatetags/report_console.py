"""Cell formatting for the console's list rows and panel, in Python because a list page renders
these for 50 rows: an {% include %} per cell costs more than the database queries of the page."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

from reports.models import Report, Status

from .timeformat import when

register = template.Library()


@register.simple_tag
def local_time(value: datetime | None) -> SafeString | str:
    """The time in the viewer's timezone, the exact UTC time on hover (the site's one format)."""
    return when(value)


@register.simple_tag
def status_badges(report: Report) -> SafeString:
    """Status, the past-due mark, and for a pending report the time left before its deadline."""
    html = format_html(
        '<span class="badge status-{}">{}</span>', report.status, report.get_status_display()
    )
    if report.past_due_at:
        html += format_html(' <span class="badge warn">{}</span>', "Past due")
    if report.reporter_replied_at:
        html += format_html(' <span class="badge replied">{}</span>', "Reporter replied")
    if report.status == Status.PENDING:
        if getattr(report, "is_overdue", report.due_at <= timezone.now()):
            left, css = f"Overdue by {timesince(report.due_at)}", "time-left overdue"
        else:
            left, css = f"{timeuntil(report.due_at)} left", "time-left"
        html += format_html(' <span class="{}">{}</span>', css, left)
    return html
