"""The insights page (/console/<app>/insights/) and its charts' CSV downloads (?csv=<chart>)."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..console import console_render
from ..export import csv_safe
from ..selectors import mini_app_for_member
from .forms import InsightsPeriodForm
from .selectors import insights_for_app
from .svg import chart_svg

CHART_ORDER = [
    "received",
    "issue-types",
    "in-time",
    "time-to-decision",
    "backlog",
    "past-due",
    "dismiss-reasons",
    "handled",
    "appeals",
    "sources",
]


@login_required
@require_GET
def insights(request: HttpRequest, app_slug: str) -> HttpResponse:
    # Every member reads insights, viewers included: they change nothing.
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    zone = getattr(request, "viewer_timezone", timezone.get_current_timezone())
    now = timezone.now()
    form = InsightsPeriodForm(request.GET or None, today=timezone.localdate(now, zone))
    if not request.GET:
        form = InsightsPeriodForm({"period": "30"}, today=timezone.localdate(now, zone))
    if not form.is_valid():
        context = {"form": form, "page": None, "zone": zone}
        return console_render(request, "reports/insights.html", mini_app, context, status=422)
    data = form.cleaned_data
    page = insights_for_app(
        mini_app=mini_app, start=data["start"], end=data["end"], zone=zone, now=now
    )
    wanted = request.GET.get("csv")
    if wanted:
        if wanted not in page.charts:
            raise Http404("No such chart.")
        return _csv_response(page.charts[wanted], mini_app.slug, data)
    params = request.GET.copy()
    params.pop("csv", None)
    charts = [
        {
            "chart": page.charts[slug],
            "svg": chart_svg(page.charts[slug]),
            "csv_url": f"?{_with(params, csv=slug)}",
        }
        for slug in CHART_ORDER
    ]
    context = {"form": form, "page": page, "charts": charts, "zone": zone}
    return console_render(request, "reports/insights.html", mini_app, context)


def _with(params, **changes) -> str:
    params = params.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


def chart_csv(chart) -> str:
    """The chart's table as the list export writes CSV: a BOM, and text never read as a
    formula (issue type names are the team's own words)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in (chart.columns, *chart.rows):
        writer.writerow([csv_safe(cell) if isinstance(cell, str) else cell for cell in row])
    return out.getvalue()


def _csv_response(chart, slug: str, data) -> HttpResponse:
    response = HttpResponse(chart_csv(chart), content_type="text/csv; charset=utf-8")
    name = f"{slug}-{chart.slug}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
