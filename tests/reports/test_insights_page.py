"""The insights page's figures against hand-computed expectations, its CSVs against its
tables, and its period form."""

import csv
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals.services import appeal_overturn, appeal_submit
from reports.models import Category, Status
from reports.services import (
    Dismissal,
    report_dismiss,
    report_reopen,
    report_resolve,
    reports_mark_past_due,
)

pytestmark = pytest.mark.django_db

NY = "America/New_York"  # UTC-5 in February


@pytest.fixture
def clock(monkeypatch):
    now = [datetime(2026, 2, 1, tzinfo=UTC)]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


def at(clock, day: int, hour: int, minute: int = 0) -> None:
    clock[0] = datetime(2026, 2, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def seeded(clock, make_report, owner):
    """Six reports around New York's midnights (times in UTC; New York is 5 hours behind)."""
    # C: payment, received Feb 5; marked past due Feb 8 10:00 and resolved late at 12:00.
    at(clock, 5, 10)
    c = make_report(Category.PAYMENT, contact_email="c@example.net")
    # D: community, received Feb 6, resolved an hour later, reopened: pending since.
    at(clock, 6, 10)
    d = make_report(Category.COMMUNITY)
    at(clock, 6, 11)
    report_resolve(report=d, actor=owner)
    at(clock, 6, 12)
    report_reopen(report=d, actor=owner)
    # E: payment, received Feb 7, resolved in 3 h, appealed, overturned to dismissed Feb 8.
    at(clock, 7, 10)
    e = make_report(Category.PAYMENT, contact_email="e@example.net")
    at(clock, 7, 13)
    e = report_resolve(report=e, actor=owner)
    at(clock, 7, 14)
    appeal = appeal_submit(report=e, contact_email="e@example.net", reason="No refund came.")
    at(clock, 8, 10)
    assert reports_mark_past_due() == 1  # C only
    at(clock, 8, 12)
    report_resolve(report=c, actor=owner)
    at(clock, 8, 14)
    appeal_overturn(appeal=appeal, actor=owner, reply="Not ours.", new_status=Status.DISMISSED)
    # A: received Feb 9 04:30 UTC = Feb 8 23:30 in New York; resolved 2 h later.
    at(clock, 9, 4, 30)
    a = make_report()
    at(clock, 9, 6, 30)
    report_resolve(report=a, actor=owner)
    # B: received Feb 9 05:30 UTC = Feb 9 00:30 in New York; dismissed 10 h later.
    at(clock, 9, 5, 30)
    b = make_report()
    at(clock, 9, 15, 30)
    report_dismiss(report=b, actor=owner, dismissal=Dismissal("spam"))
    # F: received Feb 10 11:00, pending.
    at(clock, 10, 11)
    make_report()
    at(clock, 10, 12)


class Tables(HTMLParser):
    """The page's figure tables: {chart slug: [[cell, ...], ...]} (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.cell = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-chart" in attrs:
            self.current = self.tables.setdefault(attrs["data-chart"], [])
        elif tag == "tr" and self.current is not None:
            self.current.append([])
        elif tag in ("th", "td") and self.current is not None:
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            self.current[-1].append(self.cell.strip())
            self.cell = None
        elif tag == "table":
            self.current = None


def page_tables(response) -> dict:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def get(client, mini_app, zone=NY, **params):
    client.cookies["reportdesk_tz"] = zone
    url = reverse("reports:insights", kwargs={"app_slug": mini_app.slug})
    return client.get(url, params)


def rows(table: list) -> dict:
    return {row[0]: row[1:] for row in table[1:]}


PERIOD = {"period": "custom", "start": "2026-02-04", "end": "2026-02-10"}


def test_the_figures_are_the_hand_computed_ones(client, seeded, mini_app, owner):
    client.force_login(owner)
    response = get(client, mini_app, **PERIOD)
    assert response.status_code == 200
    tables = page_tables(response)
    # Received per New York day: A (23:30 on the 8th) and B (00:30 on the 9th) apart.
    assert tables["received"][0] == ["Day", "Experience and usage", "Payment and orders",
                                     "Community Guidelines violation", "Total"]  # fmt: skip
    assert rows(tables["received"]) == {
        "2026-02-04": ["0", "0", "0", "0"],
        "2026-02-05": ["0", "1", "0", "1"],
        "2026-02-06": ["0", "0", "1", "1"],
        "2026-02-07": ["0", "1", "0", "1"],
        "2026-02-08": ["1", "0", "0", "1"],
        "2026-02-09": ["1", "0", "0", "1"],
        "2026-02-10": ["1", "0", "0", "1"],
    }
    # In time: A, B, E (E stays in time after its overturn); C late; D reopened; F pending.
    assert rows(tables["in-time"]) == {
        "2026-02-04": ["4", "2", "50.0%"],  # the week of Feb 2, from the period's start
        "2026-02-09": ["2", "1", "50.0%"],
    }
    assert "50%" in response.content.decode()  # the big number: 3 of 6
    # Decisions now: A, C resolved; B, E dismissed (E on appeal, without a reason).
    assert rows(tables["handled"]) == {"Resolved": ["2"], "Dismissed": ["2"]}
    assert rows(tables["dismiss-reasons"]) == {
        "Spam or abuse": ["1"],
        "Dismissed on appeal (no reason)": ["1"],
    }
    assert rows(tables["past-due"])["2026-02-08"] == ["1"]
    assert sum(int(r[0]) for r in rows(tables["past-due"]).values()) == 1
    assert rows(tables["backlog"]) == {
        "0–24 h": ["1"],
        "24–48 h": ["0"],
        "48–72 h": ["0"],
        "Past due": ["1"],
    }
    assert rows(tables["appeals"]) == {"Filed": ["1"], "Upheld": ["0"], "Overturned": ["1"]}
    assert "Share overturned: 100%" in response.content.decode()
    assert rows(tables["sources"]) == {"Help center": ["6"]}
    issue_types = rows(tables["issue-types"])

    assert sum(int(r[0]) for r in issue_types.values()) == 6


def test_time_to_decision_percentiles_are_within_the_histograms_bound(
    client, seeded, mini_app, owner
):
    client.force_login(owner)
    table = rows(page_tables(get(client, mini_app, **PERIOD))["time-to-decision"])
    # Week of Feb 2 (decided): C after 74 h, E after 28 h (its overturn's time).
    # Week of Feb 9: A after 2 h, B after 10 h.
    expected = {"2026-02-04": (2, 28, 74), "2026-02-09": (2, 2, 10)}
    for week, (decisions, median, p90) in expected.items():
        assert table[week][0] == str(decisions)
        assert float(table[week][1]) == pytest.approx(median, rel=0.095)
        assert float(table[week][2]) == pytest.approx(p90, rel=0.095)


def test_a_half_hour_zone_counts_each_hour_in_the_day_it_starts(
    client, clock, make_report, mini_app, owner
):
    # 18:10 UTC is 23:40 in Kolkata (the 9th), 18:40 UTC is 00:10 (the 10th): both are in
    # the UTC hour 18:00, which starts at 23:30 on the 9th, so both count on the 9th.
    at(clock, 9, 18, 10)
    make_report()
    at(clock, 9, 18, 40)
    make_report()
    at(clock, 10, 12)
    client.force_login(owner)
    table = page_tables(get(client, mini_app, zone="Asia/Kolkata", period="7"))["received"]
    assert rows(table)["2026-02-09"][-1] == "2"
    assert rows(table)["2026-02-10"][-1] == "0"


@pytest.mark.parametrize(
    "chart",
    [
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
    ],
)
def test_each_csv_equals_its_table(client, seeded, mini_app, owner, chart):
    client.force_login(owner)
    table = page_tables(get(client, mini_app, **PERIOD))[chart]
    response = get(client, mini_app, csv=chart, **PERIOD)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("\ufeff")  # as the list's export: spreadsheets read UTF-8
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == table


def test_a_bar_links_to_the_list_filtered_to_it(client, seeded, mini_app, owner):
    client.force_login(owner)
    html = get(client, mini_app, **PERIOD).content.decode()
    list_url = reverse("reports:report_list", kwargs={"app_slug": mini_app.slug})
    assert (
        f'href="{list_url}?category=experience&amp;reported_from=2026-02-08&amp;'
        'reported_to=2026-02-08"' in html
    )
    assert f'href="{list_url}?status=past_due"' in html
    assert "<script" not in re.sub(r"(?s)<head>.*?</head>", "", html).split("<main")[-1]


def test_a_source_bar_lists_the_reports_it_counts(client, seeded, mini_app, owner):
    client.force_login(owner)
    html = get(client, mini_app, **PERIOD).content.decode()
    list_url = reverse("reports:report_list", kwargs={"app_slug": mini_app.slug})
    link = f"{list_url}?source=web&amp;reported_from=2026-02-04&amp;reported_to=2026-02-10"
    assert f'href="{link}"' in html
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert listed.count('<tr id="row-') == 6  # the bar's "Help center: 6"


def test_the_viewer_reads_insights_and_the_nav_links_them(client, seeded, mini_app, viewer):
    client.force_login(viewer)
    response = get(client, mini_app, **PERIOD)
    assert response.status_code == 200
    url = reverse("reports:insights", kwargs={"app_slug": mini_app.slug})
    assert f'href="{url}"' in response.content.decode()


def test_an_app_without_reports_shows_the_empty_state(client, mini_app, owner):
    client.force_login(owner)
    response = get(client, mini_app)
    assert response.status_code == 200
    assert "No reports in this period" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "start": "2026-02-09", "end": "2026-02-01"}, "after the"),
        ({"period": "custom", "start": "2026-02-09"}, "Choose both dates"),
        ({"period": "custom", "start": "2024-01-01", "end": "2026-01-01"}, "at most 366"),
        ({"period": "12"}, "Select a valid choice"),
        # Hostile edges: the previous period and the day after must not overflow (was a 500).
        ({"period": "custom", "start": "0001-01-01", "end": "0001-12-31"}, "2000 or later"),
        ({"period": "custom", "start": "9999-01-01", "end": "9999-12-31"}, "in the future"),
    ],
)
def test_a_bad_period_is_refused_with_a_message(client, mini_app, owner, params, message):
    client.force_login(owner)
    response = get(client, mini_app, **params)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_the_period_is_the_last_days_in_the_viewers_zone(client, clock, mini_app, owner):
    at(clock, 10, 3)  # still the 9th in New York
    client.force_login(owner)
    response = get(client, mini_app, period="7")
    assert "3 Feb 2026 – 9 Feb 2026" in response.content.decode()
