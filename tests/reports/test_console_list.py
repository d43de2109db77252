"""The User reports list: columns, search, filters, tabs, sorting, keyset pages, query counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import selectors
from reports.models import Category, Report, Screenshot
from reports.selectors import reports_page
from reports.services import Dismissal, report_dismiss, report_resolve, reports_mark_past_due

pytestmark = pytest.mark.django_db

COLUMNS = [
    "Report ID",
    "Open ID",
    "Issue type",
    "Report details",
    "Report time",
    "Order ID",
    "Screenshot",
    "Status",
]


def list_url(app="acme"):
    return reverse("reports:report_list", args=[app])


def ids_in(html: str) -> list[str]:
    return re.findall(r'<tr id="row-([0-9A-Z]+)"', html)


def get(client, params="", **headers):
    response = client.get(list_url() + params, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def member(client, owner):
    client.force_login(owner)
    return owner


def test_the_table_has_the_columns_of_the_design(client, member, make_report):
    make_report()
    html = get(client)
    headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", html)]
    assert [h for h in headers if h in COLUMNS] == COLUMNS


def test_empty_cells_say_why(client, member, make_report):
    make_report(Category.COMMUNITY)
    html = get(client)
    assert "not signed in" in html
    assert "not collected for this category" in html
    assert "not a payment report" in html


def test_search_matches_report_id_open_id_order_id_exactly(client, member, make_report):
    by_id = make_report()
    by_open_id = make_report(open_id="ou_abc123")
    by_order = make_report(Category.PAYMENT, order_id="ORD-777")
    make_report(open_id="ou_abc1234", order_id="")
    assert ids_in(get(client, f"?q={by_id.report_id.lower()}")) == [by_id.report_id]
    assert ids_in(get(client, "?q=ou_abc123")) == [by_open_id.report_id]
    assert ids_in(get(client, "?q=ORD-777")) == [by_order.report_id]


def test_search_matches_all_the_words_of_the_details(client, member, make_report):
    both = make_report(details="The cart page freezes after paying")
    make_report(details="The cart page is fine")
    make_report(details="Freezes on start")
    assert ids_in(get(client, "?q=cart+freezes")) == [both.report_id]


def test_search_never_finds_another_apps_reports(client, member, make_report, other_app):
    make_report(app=other_app, open_id="ou_shared", details="Shared words")
    mine = make_report(open_id="ou_shared")
    assert ids_in(get(client, "?q=ou_shared")) == [mine.report_id]
    assert ids_in(get(client, "?q=Shared+words")) == []
    assert "No reports match this search" in get(client, "?q=Shared+words")


def test_filters_category_issue_type_past_due_and_time_range(client, member, make_report):
    now = datetime.now(UTC)
    crash = make_report(now=now - timedelta(days=1))
    refund = make_report(Category.PAYMENT, now=now - timedelta(days=5))
    spam = make_report(Category.COMMUNITY, now=now - timedelta(days=10))
    reports_mark_past_due()
    assert ids_in(get(client, "?category=payment")) == [refund.report_id]
    assert ids_in(get(client, "?issue_type=experience.crash")) == [crash.report_id]
    assert set(ids_in(get(client, "?past_due=true"))) == {refund.report_id, spam.report_id}
    assert ids_in(get(client, "?past_due=false")) == [crash.report_id]
    start = (now - timedelta(days=6)).date().isoformat()
    end = (now - timedelta(days=2)).date().isoformat()
    assert ids_in(get(client, f"?reported_from={start}&reported_to={end}")) == [refund.report_id]


def test_a_bad_filter_value_is_explained_not_a_crash(client, member, make_report):
    html = get(client, "?reported_from=2026-13-45&reported_to=2026-01-01&status=nope")
    assert "Enter a valid date." in html
    assert "Select a valid choice" in html
    html = get(client, "?reported_from=2026-02-01&reported_to=2026-01-01")
    assert "The “From” date is after the “To” date" in html


def test_a_row_shows_its_first_screenshot_by_position_and_how_many_more(
    client, member, make_report, screenshot
):
    with_shots = make_report(Category.COMMUNITY, screenshots=[screenshot] * 3)
    without = make_report()
    # Positions against creation order: the row must follow the positions, not the IDs.
    first, second, third = with_shots.screenshots.order_by("pk")
    Screenshot.objects.filter(pk=first.pk).update(position=9)
    html = get(client)
    row = html[html.index(f'id="row-{with_shots.report_id}"') :]
    row = row[: row.index("</tr>")]
    base = f"/console/acme/reports/{with_shots.report_id}/screenshots/{second.pk}/"
    assert f'href="{base}"' in row and f'src="{base}thumbnail/"' in row
    assert '<span class="muted small">+2</span>' in row
    bare = html[html.index(f'id="row-{without.report_id}"') :]
    assert "no screenshots" in bare[: bare.index("</tr>")]


def tab_counts(html):
    return dict(re.findall(r'>([A-Za-z ]+) <span class="count">([0-9,+]+)</span>', html))


def test_status_tabs_filter_and_count(client, member, owner, make_report):
    now = datetime.now(UTC)
    pending = make_report()
    late = make_report(now=now - timedelta(days=4))
    resolved = make_report()
    dismissed = make_report()
    reports_mark_past_due()
    report_resolve(report=resolved, actor=owner)
    report_dismiss(report=dismissed, actor=owner, dismissal=Dismissal("not_reproducible"))
    html = get(client)
    tabs = dict(re.findall(r'>([A-Za-z ]+) <span class="count">([0-9,+]+)</span>', html))
    assert tabs == {"All": "4", "Pending": "2", "Past due": "1", "Resolved": "1", "Dismissed": "1"}
    assert set(ids_in(get(client, "?status=pending"))) == {pending.report_id, late.report_id}
    assert ids_in(get(client, "?status=past_due")) == [late.report_id]
    assert ids_in(get(client, "?status=resolved")) == [resolved.report_id]
    assert ids_in(get(client, "?status=dismissed")) == [dismissed.report_id]


def test_tabs_count_alike_from_the_rows_in_hand_and_from_the_database(
    client, member, owner, make_report
):
    """A first page holding every match of every status counts its tabs from its rows; a page
    on a status tab asks the database. Both follow one rule: a late report handled is not past
    due, a late pending one is pending and past due."""
    now = datetime.now(UTC)
    make_report()
    make_report(Category.PAYMENT, now=now - timedelta(days=4))
    late_resolved = make_report(Category.PAYMENT, now=now - timedelta(days=4))
    dismissed = make_report(Category.PAYMENT)
    reports_mark_past_due()
    report_resolve(report=late_resolved, actor=owner)
    report_dismiss(report=dismissed, actor=owner, dismissal=Dismissal("not_reproducible"))
    expected = {"All": "4", "Pending": "2", "Past due": "1", "Resolved": "1", "Dismissed": "1"}
    assert tab_counts(get(client)) == tab_counts(get(client, "?status=resolved")) == expected
    payment = {"All": "3", "Pending": "1", "Past due": "1", "Resolved": "1", "Dismissed": "1"}
    assert tab_counts(get(client, "?category=payment")) == payment
    assert tab_counts(get(client, "?category=payment&status=past_due")) == payment


def test_a_page_holding_every_match_counts_its_tabs_without_a_statement(
    client, member, make_report
):
    report = make_report()
    with CaptureQueriesContext(connection) as whole:
        get(client, f"?q={report.report_id}")
    with CaptureQueriesContext(connection) as on_a_tab:
        get(client, f"?q={report.report_id}&status=pending")
    assert len(whole) == len(on_a_tab) - 1
    # "AS bounded": the tab counts' statement (selectors.report_tabs)
    assert not any("AS bounded" in q["sql"] for q in whole.captured_queries)
    assert any("AS bounded" in q["sql"] for q in on_a_tab.captured_queries)


def test_tab_counts_stop_at_the_cap(client, member, make_report, monkeypatch):
    monkeypatch.setattr(selectors, "TAB_COUNT_CAP", 2)
    for _ in range(3):
        make_report()
    assert '>All <span class="count">2+</span>' in get(client)


def test_all_is_capped_when_only_the_statuses_together_pass_the_cap(
    client, owner, member, make_report, monkeypatch
):
    """In the database's counts All is the sum of the statuses' bounded counts: each under the
    cap, the sum over it (on a status tab, so the counts are the database's)."""
    monkeypatch.setattr(selectors, "TAB_COUNT_CAP", 2)
    make_report()
    report_resolve(report=make_report(), actor=owner)
    report_dismiss(report=make_report(), actor=owner, dismissal=Dismissal("not_reproducible"))
    expected = {"All": "2+", "Pending": "1", "Past due": "0", "Resolved": "1", "Dismissed": "1"}
    assert tab_counts(get(client, "?status=pending")) == tab_counts(get(client)) == expected


@pytest.fixture
def assorted(owner, make_report):
    """Reports whose sort keys differ, with ties on report time to exercise the tie-breaker."""
    base = datetime.now(UTC) - timedelta(hours=10)
    reports = [
        make_report(now=base),
        make_report(Category.PAYMENT, now=base + timedelta(hours=1)),
        make_report(Category.COMMUNITY, now=base + timedelta(hours=1)),
        make_report(now=base + timedelta(hours=2), issue_type="experience.slow"),
        make_report(Category.PAYMENT, now=base + timedelta(hours=3)),
    ]
    report_resolve(report=reports[1], actor=owner)
    report_dismiss(report=reports[3], actor=owner, dismissal=Dismissal("not_reproducible"))
    return list(Report.objects.order_by("id"))


EXPECTED_ORDER = {
    "time": lambda r: (r.created_at, r.id),
    "status": lambda r: (r.status, r.created_at, r.id),
    "issue_type": lambda r: (r.issue_type_id, r.created_at, r.id),
    "time_left": lambda r: (r.due_at, r.id),
}


def expected_order(reports, sort):
    name, descending = sort.lstrip("-"), sort.startswith("-")
    ordered = sorted(reports, key=EXPECTED_ORDER[name], reverse=descending)
    if name == "time_left":  # handled reports have no time left: after the pending ones
        ordered.sort(key=lambda r: r.handled_at is not None)  # stable: keeps the due order
    return ordered


def test_time_left_lists_pending_reports_first_and_handled_ones_last_both_ways(
    client, member, assorted
):
    r0, handled_early, r2, handled_late, r4 = (r.report_id for r in assorted)
    assert ids_in(get(client, "?ordering=time_left")) == [r0, r2, r4, handled_early, handled_late]
    assert ids_in(get(client, "?ordering=-time_left")) == [r4, r2, r0, handled_late, handled_early]


@pytest.mark.parametrize(
    "sort",
    ["time", "-time", "status", "-status", "issue_type", "-issue_type", "time_left", "-time_left"],
)
def test_each_sort_both_directions(client, member, assorted, sort):
    expected = expected_order(assorted, sort)
    assert ids_in(get(client, f"?ordering={sort}")) == [r.report_id for r in expected]


def test_column_headers_link_to_both_directions(client, member, make_report):
    make_report()
    html = get(client)
    assert 'aria-sort="descending"><a href="?ordering=time"' in html
    html = get(client, "?ordering=time")
    assert 'aria-sort="ascending"><a href="?ordering=-time"' in html
    assert '<a href="?ordering=status" hx-get="?ordering=status">Status</a>' in html


@pytest.mark.parametrize(
    "sort", ["-time", "time", "status", "-issue_type", "time_left", "-time_left"]
)
def test_keyset_pages_walk_every_report_once_both_ways(mini_app, assorted, sort):
    params = {"ordering": sort, "status": ""}
    seen, pages = [], []
    page = reports_page(mini_app=mini_app, params=params, page_size=2)
    assert page.is_first
    pages.append([r.report_id for r in page.reports])
    while page.next_cursor:
        page = reports_page(
            mini_app=mini_app, params={**params, "after": page.next_cursor}, page_size=2
        )
        pages.append([r.report_id for r in page.reports])
    seen = [rid for chunk in pages for rid in chunk]
    expected = expected_order(assorted, sort)
    assert seen == [r.report_id for r in expected]
    # And back again, page by page, from the last one.
    for chunk in reversed(pages[:-1]):
        page = reports_page(
            mini_app=mini_app, params={**params, "before": page.previous_cursor}, page_size=2
        )
        assert [r.report_id for r in page.reports] == chunk
    assert page.is_first


def test_pages_have_next_and_previous_links_without_javascript(client, member, make_report):
    now = datetime.now(UTC)
    reports = [make_report(now=now - timedelta(minutes=i)) for i in range(selectors.PAGE_SIZE + 1)]
    first = get(client)
    assert len(ids_in(first)) == selectors.PAGE_SIZE
    next_href = re.search(r'<a href="([^"]+)" hx-get="[^"]+" rel="next">Next page</a>', first)[1]
    second = get(client, next_href.replace("&amp;", "&"))
    assert ids_in(second) == [reports[-1].report_id]
    assert "Previous page" in second and "First page" in second and "Next page" not in second


def test_htmx_gets_the_table_fragment_and_the_page_varies_on_it(client, member, make_report):
    report = make_report()
    response = client.get(list_url() + "?q=crashes", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="results"' in html and report.report_id in html
    assert 'id="filter-state" class="filter-state" hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]
    full = client.get(list_url() + "?q=crashes").content.decode()
    assert "<html" in full and report.report_id in full


def test_a_list_page_costs_the_same_queries_whatever_its_size(
    client, member, make_report, screenshot
):
    make_report()

    def count(params=""):
        with CaptureQueriesContext(connection) as queries:
            get(client, params)
        return len(queries)

    small = count()
    small_search = count("?q=crashes&status=pending&ordering=status")
    for _ in range(12):
        make_report(screenshots=[screenshot, screenshot])
        make_report(Category.PAYMENT)
    assert count() == small
    assert count("?q=crashes&status=pending&ordering=status") == small_search
    anchor = Report.objects.order_by("-created_at")[3].report_id
    # The anchor row, and the tab counts: a later page cannot count them from its own rows.
    assert count(f"?after={anchor}") == small + 2


@pytest.mark.parametrize(
    "text",
    ["'", "a:*|b", "!(&)", "\\", "-", "<->", "x" * 300, "%_", "ünïcödé 😀", "a b c d e f g h i j"],
)
def test_odd_search_text_never_breaks_the_list(client, member, make_report, text):
    make_report(details="Plain words")
    response = client.get(list_url(), {"q": text})
    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner settings")
def test_a_slow_word_search_walk_falls_back_and_leaves_no_settings_behind(
    mini_app, make_report, monkeypatch
):
    from django.db.models.expressions import RawSQL

    from reports.search import word_search_rows

    report = make_report(details="Refund please")
    # A walk that cannot finish within the timeout: the index plan must answer instead. The
    # estimate picks the walk only for a common word: make the one searched for the only one.
    monkeypatch.setattr("reports.search.INDEX_PLAN_ROW_RATIO", 0)
    slow = Report.objects.filter(mini_app=mini_app).annotate(
        slow=RawSQL("pg_sleep(0.2) IS NOT NULL", [])
    )
    rows = word_search_rows(slow, text="refund", page_size=51)
    assert [r.report_id for r in rows] == [report.report_id]
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("SHOW enable_bitmapscan")
        assert cursor.fetchone()[0] == "on"


def test_word_search_finds_prefixes_as_you_type(client, member, make_report):
    match = make_report(details="Charged twice for one order")
    make_report(details="Nothing relevant")
    assert ids_in(get(client, "?q=charg+twi")) == [match.report_id]


def test_the_filter_form_shows_the_current_filters(client, member, make_report):
    html = get(
        client,
        "?q=cart&category=payment&issue_type=payment.refund&past_due=true"
        "&reported_from=2026-01-01&reported_to=2026-01-31&ordering=status",
    )
    assert 'name="q" id="id_q" value="cart"' in html
    assert '<option value="payment" selected>Payment and orders</option>' in html
    assert '<optgroup label="Payment and orders">' in html
    assert '<option value="payment.refund" selected>Refund request</option>' in html
    assert '<option value="true" selected>Past due only</option>' in html
    assert 'id="id_reported_from" value="2026-01-01"' in html
    assert '<option value="status" selected>' in html
