"""What keeps the console fast at a million reports (bench/console.py measures it): the word
search's plan chosen from the planner's estimate, the indexes the stacked filters read, the same
statements for every page whatever the rows and filters, and row cells written without
per-call parsing (the same words as Django's own formatting)."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from reports import selectors
from reports.models import Category, IssueType, Report, Status, new_access_key, new_report_id
from reports.templatetags.report_console import cell_html
from reports.timeformat import WHEN_FORMAT, when_text
from reports.timeformat import when_html as when

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner and indexes"
)


def list_url(params: str = "") -> str:
    return reverse("reports:report_list", args=["acme"]) + params


# --- The list's statements do not grow with rows or filters

STACKED = "?issue_type=payment.refund&past_due=true&reported_from=2026-01-01&reported_to=2026-12-31"


@pytest.mark.parametrize(
    "params",
    ["", STACKED, STACKED + "&ordering=time_left", "?status=past_due&category=payment"],
)
def test_the_list_page_makes_the_same_statements_for_any_rows_and_filters(
    client, owner, make_report, screenshot, django_assert_num_queries, monkeypatch, params
):
    """Session, user, the member's apps (this one and the switcher's), handling members (the
    assignee menu and the rows' assignees), catalogue, tab counts (one statement), page,
    screenshots, saved views (the tabs), the navigation's open appeals: ten, for one report or
    thirty, filtered or not. A first page holding every match of every status counts its tabs
    from its rows: nine."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 10)  # the sixteen or thirty rows: two pages
    client.force_login(owner)
    make_report(Category.PAYMENT, issue_type="payment.refund", screenshots=[screenshot])
    Report.objects.update(past_due_at=timezone.now())  # every page has rows to show
    with django_assert_num_queries(10 if "status=" in params else 9):
        assert client.get(list_url(params)).status_code == 200
    for _ in range(15):
        make_report(screenshots=[screenshot, screenshot])
        make_report(Category.PAYMENT, issue_type="payment.refund", screenshots=[screenshot])
    Report.objects.update(past_due_at=timezone.now())
    with django_assert_num_queries(10):
        html = client.get(list_url(params)).content.decode()
    assert html.count('<tr id="row-') > 1


# --- The word search's plan, from what the full-text index's statistics know


def _bulk_reports(mini_app, count: int, details: str) -> None:
    now = timezone.now()
    issue_type = IssueType.objects.get(code="payment.refund")
    Report.objects.bulk_create(
        Report(
            report_id=new_report_id(),
            access_key=new_access_key(),
            mini_app=mini_app,
            category=Category.PAYMENT,
            issue_type=issue_type,
            details=details,
            order_id=f"ORD-{i}",
            created_at=now - timedelta(minutes=i),
            due_at=now + timedelta(days=3),
            status=Status.PENDING,
        )
        for i in range(count)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_report")  # statistics, as autovacuum would gather
    if connection.vendor == "postgresql":
        from reports.search import word_statistics_forget

        word_statistics_forget()


@postgresql_only
def test_a_common_word_walks_the_list_and_a_rare_one_reads_the_full_text_index(mini_app):
    from reports.search import word_search_plan

    _bulk_reports(mini_app, 3000, "I was charged twice, please refund one of them")
    for common in ("refund", "REFU", "charged twice", "twi"):
        plan = word_search_plan(common, page_size=51)
        assert not plan.use_index and plan.walk_rows < 100, (common, plan)
    for rare in ("xylophone", "refund xylophone", "zebra!"):
        plan = word_search_plan(rare, page_size=51)
        assert plan.use_index and plan.matches < 100, (rare, plan)


@postgresql_only
def test_a_rare_word_search_reads_the_statistics_and_never_waits_for_a_walk_timeout(
    client, owner, mini_app, make_report
):
    _bulk_reports(mini_app, 3000, "I was charged twice, please refund one of them")
    match = make_report(details="The xylophone sound is broken")
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(list_url("?q=xylophone")).content.decode()
    assert f'id="row-{match.report_id}"' in html
    statements = [q["sql"] for q in queries.captured_queries]
    assert any("FROM pg_stats" in s for s in statements)
    assert not any("statement_timeout = 60" in s for s in statements)


@postgresql_only
def test_a_common_word_search_walks_the_list_under_the_timeout(
    client, owner, mini_app, make_report
):
    _bulk_reports(mini_app, 3000, "I was charged twice, please refund one of them")
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(list_url("?q=refund")).content.decode()
    assert html.count('<tr id="row-') == 50
    assert any("statement_timeout = 60" in q["sql"] for q in queries.captured_queries)


@postgresql_only
def test_the_statistics_are_read_once_for_many_searches(client, owner, mini_app):
    _bulk_reports(mini_app, 100, "Refund please")
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        for word in ("refund", "xylophone", "please"):
            client.get(list_url(f"?q={word}"))
    assert sum("FROM pg_stats" in q["sql"] for q in queries.captured_queries) == 1


@postgresql_only
def test_the_stacked_filters_read_one_index(mini_app):
    """Issue type + past due + a date range: the page is read from report_app_type_late
    (migration 0022). Its tab counts are, too, at a million reports (bench/console.py): on a
    test's few rows the planner may as well read others."""
    from reports.filters import ReportFilter

    now = timezone.now()
    types = list(IssueType.objects.filter(category=Category.PAYMENT))
    Report.objects.bulk_create(
        Report(
            report_id=new_report_id(),
            access_key=new_access_key(),
            mini_app=mini_app,
            category=Category.PAYMENT,
            issue_type=types[i % len(types)],
            details="Refund please",
            order_id=f"ORD-{i}",
            created_at=now - timedelta(minutes=i),
            due_at=now + timedelta(days=3),
            past_due_at=now - timedelta(minutes=i) if i % 4 == 0 else None,
            status=Status.PENDING,
        )
        for i in range(4000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_report")
    params = {
        "issue_type": types[0].code,
        "past_due": "true",
        "reported_from": (now - timedelta(days=2)).date().isoformat(),
        "reported_to": now.date().isoformat(),
    }
    filterset = ReportFilter(params, queryset=Report.objects.filter(mini_app=mini_app))
    assert "report_app_type_late" in filterset.qs[:51].explain()


# --- Row cells: the same words as Django's formatting, without parsing a format per row


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
def test_the_written_out_time_format_says_what_dateformat_says(language, zone):
    rng = random.Random(7)
    instants = [datetime(2026, 12, 1, 18, 44, tzinfo=UTC), datetime(1, 1, 2, 0, 0, tzinfo=UTC)]
    instants += [
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(3 * 10**9))
        for _ in range(300)
    ]
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        for instant in instants:
            expected = dateformat.format(timezone.localtime(instant), WHEN_FORMAT)
            assert when_text(instant) == expected
            utc = instant.astimezone(UTC)
            assert when(instant) == (
                f'<time datetime="{utc.isoformat()}" '
                f'title="{utc.strftime("%Y-%m-%d %H:%M:%S")} UTC">{expected}</time>'
            )
    assert when_text(None) == when(None) == ""


HOSTILE = [
    '<script>alert("x")</script>',
    'O\'Brien & Sons > "quotes"',
    "ＡＢＣ\u202e\u0000",
    mark_safe("<b>already safe</b>"),
    gettext_lazy("Pending"),
    42,
    None,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_rows_cell_html_escapes_exactly_as_format_html(value):
    template = '<td title="{0}">{0} <span>{1}</span></td>'
    expected = format_html(template, value, "&")
    assert cell_html(template, value, "&") == expected
    assert isinstance(cell_html(template, value, "&"), SafeString)
