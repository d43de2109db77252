"""The daily summary e-mail: its figures against a hand-computed set, once per developer per day
of theirs (retries, two runs at once), their hour and timezone, the opt-out, and its links."""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import daily_summary
from reports.daily_summary import daily_summaries_send
from reports.middleware import TIMEZONE_COOKIE
from reports.models import (
    DailySummary,
    MemberPreferences,
    Membership,
    OutboundEmail,
    Report,
    Status,
)
from reports.outbox import email_deliver
from reports.services import reports_mark_past_due
from tests.conftest import on_postgres, run_at_once

pytestmark = pytest.mark.django_db

# 23:30 UTC on 10 March is 08:30 on 11 March in Tokyo (UTC+9): the day boundary lies between
# the two developers, so their "yesterday" differs (UTC: 9 March; Tokyo: 10 March).
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def handled(report: Report, when: datetime) -> Report:
    """Set up a report handled at `when` (late ones carry their past-due mark, as in life)."""
    late = when > report.due_at
    Report.objects.filter(pk=report.pk).update(
        status=Status.RESOLVED, handled_at=when, past_due_at=report.due_at if late else None
    )
    return report


def prefer(user, **fields) -> None:
    MemberPreferences.objects.update_or_create(user=user, defaults=fields)


def delivered() -> list:
    for email_id in OutboundEmail.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        email_deliver(email_id=email_id)
    return list(mail.outbox)


def inbox(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def figures(body: str) -> dict[str, str]:
    """The plain-text figures of the summary's first mini app, by line label."""
    found = {}
    for label, value in re.findall(r"^- ([^:]+): (.+)$", body, flags=re.MULTILINE):
        found.setdefault(label.split(" (")[0], value)
    return found


@pytest.fixture
def seeded(make_report, other_app, owner, teammate, settings):
    """The owner reads UTC, the teammate Tokyo; both at 08:00 (the default hour)."""
    settings.SITE_URL = "https://desk.example"
    prefer(teammate, timezone_name="Asia/Tokyo")
    reports = {
        "A": make_report(now=NOW - timedelta(hours=2)),  # new, pending, due in 70 h
        "B": make_report(now=NOW - timedelta(hours=30)),  # pending, due in 42 h
        "C": make_report(now=NOW - timedelta(hours=65)),  # pending, due in 7 h: due soon
        "D": make_report(now=NOW - timedelta(hours=80)),  # pending, past due (marked below)
        # Handled: E at 19:00 Tokyo on 10 March (in time), F at 05:00 Tokyo on 10 March = 20:00
        # UTC on 9 March (late), G at 14:00 UTC on 9 March (late), I at 23:00 UTC on 9 March =
        # 08:00 Tokyo on 10 March (in time).
        "E": handled(make_report(now=at("2026-03-07T12:00")), at("2026-03-10T10:00")),
        "F": handled(make_report(now=at("2026-03-06T00:00")), at("2026-03-09T20:00")),
        "G": handled(make_report(now=at("2026-03-05T00:00")), at("2026-03-09T14:00")),
        "I": handled(make_report(now=at("2026-03-07T00:00")), at("2026-03-09T23:00")),
        "other": make_report(app=other_app, now=NOW - timedelta(hours=1)),
    }
    assert reports_mark_past_due(now=NOW) == 1  # D
    return reports


class TestFigures:
    def test_each_member_gets_the_figures_of_their_own_day(self, seeded, owner, teammate):
        assert daily_summaries_send(now=NOW) == 2
        delivered()
        [to_owner] = inbox("owner@acme.example")
        [to_teammate] = inbox("teammate@acme.example")
        shared = {
            "New in the last 24 hours": "1",  # A
            "Pending": "4",  # A B C D
            "Past due": "1",  # D
            "Due within 12 hours": "1",  # C
        }
        assert figures(to_owner.body) == {
            **shared,
            # UTC yesterday = 9 March: F (late), G (late), I (in time).
            "Handled yesterday": "3, 1 within 72 hours (33%)",
        }
        assert figures(to_teammate.body) == {
            **shared,
            # Tokyo yesterday = 10 March: E (in time), F (late), I (in time).
            "Handled yesterday": "3, 2 within 72 hours (67%)",
        }
        assert "summary for 10 Mar 2026 (UTC)" in to_owner.body
        assert "summary for 11 Mar 2026 (Asia/Tokyo)" in to_teammate.body
        assert to_teammate.subject == (
            "Reportdesk daily summary for 11 Mar 2026: Acme Shop 4 pending, 1 past due"
        )
        assert seeded["other"].report_id not in to_owner.body  # never another tenant's
        html, content_type = to_owner.alternatives[0]
        assert content_type == "text/html" and "Handled yesterday" in html
        assert "https://desk.example/console/acme/notifications/" in to_owner.body

    def test_in_time_means_never_marked_past_due_as_on_the_insights_page(
        self, make_report, owner, settings
    ):
        # Handled 10 minutes after its deadline, before the beat's next run marked it: the
        # promise counts as kept, here as on Insights (one rule for both).
        report = make_report(now=at("2026-03-06T00:00"))
        Report.objects.filter(pk=report.pk).update(
            status=Status.RESOLVED, handled_at=report.due_at + timedelta(minutes=10)
        )
        daily_summaries_send(now=NOW)
        delivered()
        [message] = inbox("owner@acme.example")
        assert figures(message.body)["Handled yesterday"] == "1, 1 within 72 hours (100%)"

    def test_one_email_covers_all_of_a_members_apps(self, seeded, owner, other_app):
        Membership.objects.create(mini_app=other_app, user=owner)
        daily_summaries_send(now=NOW)
        delivered()
        [message] = inbox("owner@acme.example")
        assert "\nAcme Shop\n" in message.body and "\nGlobex\n" in message.body
        globex = message.body.split("\nGlobex\n")[1]
        assert figures(globex)["New in the last 24 hours"] == "1"
        assert figures(globex)["Handled yesterday"] == "0"

    def test_the_links_open_the_list_filtered_to_each_figure(self, seeded, owner, client):
        daily_summaries_send(now=NOW)
        delivered()
        [message] = inbox("owner@acme.example")
        found = re.findall(r"^- ([^:(]+)[^\n]*\n  (https://\S+)$", message.body, re.M)
        links = {label.strip(): url for label, url in found}
        expected = {
            "New in the last 24 hours": {"A"},
            "Pending": {"A", "B", "C", "D"},
            "Past due": {"D"},
            "Due within 12 hours": {"C"},
            "Handled yesterday": {"F", "G", "I"},
        }
        assert set(links) == set(expected)
        client.force_login(owner)
        for label, url in links.items():
            response = client.get(url.removeprefix("https://desk.example"))
            assert response.status_code == 200, label
            html = response.content.decode()
            listed = {name for name, report in seeded.items() if report.report_id in html}
            assert listed == expected[label], label
        html_body = message.alternatives[0][0]
        for url in links.values():
            assert f'href="{url.replace("&", "&amp;")}"' in html_body

    def test_a_links_instants_show_as_chips_that_clear_all_removes(self, seeded, owner, client):
        daily_summaries_send(now=NOW)
        delivered()
        [message] = inbox("owner@acme.example")
        link = re.search(
            r"^- Handled yesterday[^\n]*\n  https://desk.example(\S+)$", message.body, re.M
        )
        client.force_login(owner)
        html = client.get(link[1]).content.decode()
        chips = re.findall(
            r'<a class="chip" href="[^"]*">([^:<]*): <span dir="auto">([^<]*)<', html
        )
        # The owner's zone is UTC: yesterday for them was 9 March.
        assert ("Handled from", "9 Mar 2026, 00:00") in chips
        assert ("Handled before", "10 Mar 2026, 00:00") in chips
        clear_all = re.search(r'<a class="chips-clear" href="([^"]*)"', html)[1]
        assert "handled_" not in clear_all
        unfiltered = client.get(clear_all.replace("&amp;", "&")).content.decode()
        assert seeded["E"].report_id not in html  # handled on 10 March
        assert seeded["E"].report_id in unfiltered

    def test_the_figures_cost_one_report_query_per_timezone_whatever_the_team(
        self, seeded, make_user, mini_app
    ):
        for n in range(6):
            user = make_user(f"dev{n}@acme.example")
            Membership.objects.create(mini_app=mini_app, user=user)
            prefer(user, timezone_name="Asia/Tokyo" if n % 2 else "UTC")
        with CaptureQueriesContext(connection) as queries:
            assert daily_summaries_send(now=NOW) == 8
        on_reports = [q["sql"] for q in queries if 'FROM "reports_report"' in q["sql"]]
        assert len(on_reports) == 2  # UTC and Asia/Tokyo
        selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
        assert len(selects) <= 5  # members, sent today, memberships, and the two aggregates


class TestOncePerDay:
    def test_a_second_run_the_same_day_sends_nothing(self, seeded, owner, teammate):
        assert daily_summaries_send(now=NOW) == 2
        assert daily_summaries_send(now=NOW + timedelta(minutes=15)) == 0
        assert OutboundEmail.objects.filter(dedupe_key__startswith="daily_summary:").count() == 2
        assert DailySummary.objects.count() == 2

    def test_a_failed_run_leaves_nothing_for_the_failed_member_and_its_retry_sends_once(
        self, seeded, owner, teammate
    ):
        real = daily_summary.email_enqueue
        calls = []

        def second_fails(**kwargs):
            calls.append(kwargs["to"])
            if len(calls) == 2:
                raise ConnectionError("database went away")
            return real(**kwargs)

        with (
            mock.patch.object(daily_summary, "email_enqueue", second_fails),
            pytest.raises(ConnectionError),
        ):
            daily_summaries_send(now=NOW)
        assert DailySummary.objects.count() == 1  # the failed one's row rolled back with it
        assert daily_summaries_send(now=NOW + timedelta(minutes=1)) == 1  # the retry
        delivered()
        assert len(inbox("owner@acme.example")) == 1
        assert len(inbox("teammate@acme.example")) == 1

    def test_the_next_day_of_each_member_brings_the_next_one(self, seeded, owner, teammate):
        daily_summaries_send(now=NOW)
        # 10:00 UTC on 11 March: Tokyo's 19:00, same day; UTC's 11 March has come at 08:00.
        assert daily_summaries_send(now=at("2026-03-11T10:00")) == 1
        assert DailySummary.objects.filter(user=owner).count() == 2
        # 23:00 UTC on 11 March is 08:00 on 12 March in Tokyo.
        assert daily_summaries_send(now=at("2026-03-11T23:00")) == 1
        dates = DailySummary.objects.filter(user=teammate).values_list("local_date", flat=True)
        assert sorted(str(d) for d in dates) == ["2026-03-11", "2026-03-12"]


class TestWhoAndWhen:
    def test_the_chosen_hour_in_the_members_timezone(self, seeded, owner, teammate):
        prefer(owner, daily_summary_hour=9)  # UTC
        prefer(teammate, daily_summary_hour=7, timezone_name="America/New_York")  # UTC-4
        assert daily_summaries_send(now=at("2026-03-11T08:59")) == 0  # 08:59 UTC, 04:59 NY
        assert daily_summaries_send(now=at("2026-03-11T09:00")) == 1  # the owner's hour
        assert daily_summaries_send(now=at("2026-03-11T10:59")) == 0  # 06:59 in New York
        assert daily_summaries_send(now=at("2026-03-11T11:00")) == 1  # 07:00 in New York
        assert DailySummary.objects.get(user=teammate).timezone_name == "America/New_York"

    def test_a_late_run_still_sends_that_day(self, seeded, owner, teammate):
        # Workers down all morning: at 14:00 UTC (23:00 in Tokyo) both summaries still go.
        assert daily_summaries_send(now=at("2026-03-11T14:00")) == 2

    def test_a_member_who_turned_it_off_gets_nothing_and_the_others_still_do(
        self, seeded, owner, teammate
    ):
        prefer(owner, daily_summary=False)
        assert daily_summaries_send(now=NOW) == 1
        delivered()
        assert inbox("owner@acme.example") == []
        assert len(inbox("teammate@acme.example")) == 1

    def test_inactive_members_and_members_without_an_address_get_nothing(
        self, seeded, owner, teammate
    ):
        type(owner).objects.filter(pk=owner.pk).update(is_active=False)
        type(teammate).objects.filter(pk=teammate.pk).update(email="")
        assert daily_summaries_send(now=NOW) == 0


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_two_runs_at_once_send_each_member_one_summary(make_report, owner, teammate, viewer):
    make_report(now=NOW - timedelta(hours=1))
    results, errors = run_at_once(*[lambda: daily_summaries_send(now=NOW)] * 2)
    assert errors == []
    assert sum(results) == 3
    assert DailySummary.objects.count() == 3
    assert OutboundEmail.objects.filter(dedupe_key__startswith="daily_summary:").count() == 3


class TestPreferences:
    url = "/console/acme/notifications/"

    def test_a_member_chooses_the_hour_and_timezone(self, client, owner, teammate):
        client.force_login(owner)
        data = {"email_past_due": "on", "daily_summary_hour": "7", "timezone_name": "Asia/Tokyo"}
        response = client.post(self.url, data)
        assert response.status_code == 302
        preferences = MemberPreferences.objects.get(user=owner)
        assert (preferences.daily_summary, preferences.daily_summary_hour) == (False, 7)
        assert preferences.timezone_name == "Asia/Tokyo"
        assert not MemberPreferences.objects.filter(user=teammate).exists()
        html = client.get(self.url).content.decode()
        assert '<option value="7" selected>07:00</option>' in html
        assert '<option value="Asia/Tokyo" selected>' in html

    @pytest.mark.parametrize("hour", ["24", "-1", "8.5", "eight", ""])
    def test_an_hour_outside_the_day_is_refused_with_a_message_and_nothing_stored(
        self, client, owner, hour
    ):
        client.force_login(owner)
        data = {"daily_summary_hour": hour, "timezone_name": "UTC"}  # past-due box unticked
        response = client.post(self.url, data)
        assert response.status_code == 422
        assert "Pick the hour of the day for your summary, from 00:00 to 23:00." in (
            response.content.decode()
        )
        assert not MemberPreferences.objects.filter(user=owner).exists()
        assert Membership.objects.get(user=owner).email_past_due is True

    def test_an_unknown_timezone_is_refused(self, client, owner):
        client.force_login(owner)
        response = client.post(self.url, {"daily_summary_hour": "8", "timezone_name": "Mars/Base"})
        assert response.status_code == 422
        assert "Pick a timezone from the list." in response.content.decode()
        assert not MemberPreferences.objects.filter(user=owner).exists()

    def test_never_saved_the_page_offers_the_zone_the_console_shows(self, client, owner):
        client.force_login(owner)
        client.cookies[TIMEZONE_COOKIE] = "Europe/Madrid"
        html = client.get(self.url).content.decode()
        assert '<option value="Europe/Madrid" selected>' in html

    def test_the_timezone_picked_in_the_console_is_the_summarys(self, client, owner):
        client.force_login(owner)
        client.post("/console/timezone/", {"timezone": "Asia/Kolkata"})
        assert MemberPreferences.objects.get(user=owner).timezone_name == "Asia/Kolkata"
