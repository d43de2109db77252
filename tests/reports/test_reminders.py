"""The past-due digest to developers, and the page where each developer turns e-mails off."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from reports import reminders
from reports.models import Membership, OutboundEmail, Report
from reports.outbox import email_deliver
from reports.reminders import reminders_past_due_send
from reports.services import report_resolve, reports_mark_past_due

pytestmark = pytest.mark.django_db


def delivered() -> list:
    """Send what the digests queued (as the worker would) and return the e-mails."""
    for email_id in OutboundEmail.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        email_deliver(email_id=email_id)
    return list(mail.outbox)


def inbox(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def overdue(make_report, **fields) -> Report:
    return make_report(now=timezone.now() - timedelta(days=4), **fields)


class TestPastDueDigest:
    def test_each_member_gets_one_email_per_app_listing_its_reports_with_links(
        self, make_report, owner, teammate, outsider, other_app, settings
    ):
        settings.SITE_URL = "https://desk.example"
        first, second = overdue(make_report), overdue(make_report)
        theirs = overdue(make_report, app=other_app)
        reports_mark_past_due()

        assert reminders_past_due_send() == 3
        delivered()
        [to_owner] = inbox("owner@acme.example")
        assert len(inbox("teammate@acme.example")) == 1
        assert to_owner.subject == ("[Acme Shop] 2 reports past due: not processed within 72 hours")
        for report in (first, second):
            assert f"https://desk.example/console/acme/reports/{report.report_id}/" in (
                to_owner.body
            )
        assert theirs.report_id not in to_owner.body  # never another tenant's report
        html, content_type = to_owner.alternatives[0]
        assert content_type == "text/html" and first.report_id in html and "<th" in html
        assert "https://desk.example/console/acme/notifications/" in to_owner.body
        [to_outsider] = inbox("outsider@globex.example")
        assert theirs.report_id in to_outsider.body and first.report_id not in to_outsider.body

    def test_a_report_is_announced_once_however_often_the_digest_runs(self, make_report, owner):
        first = overdue(make_report)
        reports_mark_past_due()
        assert reminders_past_due_send() == 1
        assert reminders_past_due_send() == 0  # a retried or redelivered task
        later = overdue(make_report)
        reports_mark_past_due()
        assert reminders_past_due_send() == 1
        delivered()
        first_mail, second_mail = inbox("owner@acme.example")
        assert first.report_id in first_mail.body and later.report_id in second_mail.body
        assert first.report_id not in second_mail.body

    def test_a_failed_run_queues_nothing_and_its_retry_sends_each_email_once(
        self, make_report, owner, teammate, monkeypatch
    ):
        overdue(make_report)
        reports_mark_past_due()
        real_enqueue, calls = reminders.email_enqueue, []

        def enqueue_then_fail(**kwargs):
            calls.append(kwargs["to"])
            if len(calls) == 2:
                raise ConnectionError("database went away mid-run")
            return real_enqueue(**kwargs)

        monkeypatch.setattr(reminders, "email_enqueue", enqueue_then_fail)
        with pytest.raises(ConnectionError):
            reminders_past_due_send()
        assert not OutboundEmail.objects.exists()  # the first e-mail was rolled back too
        assert Report.objects.get().past_due_notified_at is None

        monkeypatch.setattr(reminders, "email_enqueue", real_enqueue)
        assert reminders_past_due_send() == 2  # the task's retry
        assert reminders_past_due_send() == 0
        assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
            "owner@acme.example",
            "teammate@acme.example",
        ]

    def test_a_member_who_turned_it_off_gets_nothing_and_the_others_still_do(
        self, make_report, owner, teammate
    ):
        Membership.objects.filter(user=owner).update(email_past_due=False)
        overdue(make_report)
        reports_mark_past_due()
        assert reminders_past_due_send() == 1
        delivered()
        assert inbox("owner@acme.example") == []
        assert len(inbox("teammate@acme.example")) == 1

    def test_inactive_members_and_members_without_an_address_get_nothing(
        self, make_report, owner, teammate
    ):
        owner.is_active = False
        owner.save()
        teammate.email = ""
        teammate.save()
        overdue(make_report)
        reports_mark_past_due()
        assert reminders_past_due_send() == 0
        assert not OutboundEmail.objects.exists()

    def test_a_report_handled_before_the_digest_is_left_out(self, make_report, owner):
        handled, waiting = overdue(make_report), overdue(make_report)
        reports_mark_past_due()
        report_resolve(report=Report.objects.get(pk=handled.pk), actor=owner)
        assert reminders_past_due_send() == 1
        [message] = delivered()
        assert waiting.report_id in message.body and handled.report_id not in message.body
        assert "1 report of Acme Shop was not processed" in message.body

    def test_a_long_list_shows_the_first_reports_and_links_to_the_rest(
        self, make_report, owner, monkeypatch
    ):
        monkeypatch.setattr(reminders, "DIGEST_LIST_LIMIT", 2)
        for _ in range(3):
            overdue(make_report)
        reports_mark_past_due()
        reminders_past_due_send()
        [message] = delivered()
        assert message.subject.startswith("[Acme Shop] 3 reports past due")
        assert "...and 1 more." in message.body
        assert message.body.count("/console/acme/reports/") == 2 + 2  # 2 reports, 2 list links

    def test_the_command_marks_and_queues_the_digest(self, make_report, owner, capsys):
        from django.core.management import call_command

        overdue(make_report)
        call_command("mark_past_due")
        out = capsys.readouterr().out
        assert "Marked 1 report past due." in out and "Queued 1 digest e-mail." in out


class TestPreferencesPage:
    def url(self, slug="acme") -> str:
        return f"/console/{slug}/notifications/"

    def test_a_member_sees_both_choices_on_by_default(self, client, owner):
        client.force_login(owner)
        response = client.get(self.url())
        assert response.status_code == 200
        html = response.content.decode()
        assert "E-mail me when reports become past due" in html
        assert "E-mail me a daily summary" in html
        assert html.count("checked") == 2
        assert '<option value="8" selected>08:00</option>' in html
        assert "owner@acme.example" in html

    def test_turning_one_off_is_saved_for_that_member_only(self, client, owner, teammate):
        client.force_login(owner)
        response = client.post(
            self.url(),
            {"daily_summary": "on", "daily_summary_hour": "8", "timezone_name": "UTC"},
            follow=True,
        )
        assert "Your e-mail notifications are saved." in response.content.decode()
        assert Membership.objects.get(user=owner).email_past_due is False
        assert Membership.objects.get(user=teammate).email_past_due is True

    def test_an_outsider_gets_a_404_and_changes_nothing(self, client, owner, outsider):
        client.force_login(outsider)
        assert client.get(self.url()).status_code == 404
        assert client.post(self.url(), {}).status_code == 404
        assert Membership.objects.get(user=owner).email_past_due is True

    def test_every_console_page_of_the_app_links_to_it(self, client, owner, make_report):
        report = make_report()
        client.force_login(owner)
        link = f'href="{self.url()}"'
        for url in [
            "/console/acme/reports/",
            f"/console/acme/reports/{report.report_id}/",
            "/console/acme/appeals/",
            self.url(),
        ]:
            assert link in client.get(url).content.decode(), url

    def test_signing_in_is_required(self, client, mini_app):
        response = client.get(self.url())
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_developer_turns_off_the_past_due_email_in_the_browser(page, owner):
    from playwright.sync_api import expect

    page.goto("/console/acme/notifications/")  # sign-in first, then back here
    page.get_by_label("E-mail or username").fill(owner.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="E-mail notifications")).to_be_visible()

    past_due = page.get_by_label("E-mail me when reports become past due")
    expect(past_due).to_be_checked()
    past_due.uncheck()
    page.get_by_role("button", name="Save notification settings").click()

    expect(page.get_by_role("status")).to_contain_text("Your e-mail notifications are saved.")
    expect(page.get_by_label("E-mail me when reports become past due")).not_to_be_checked()
    expect(page.get_by_label("E-mail me a daily summary")).to_be_checked()
    assert Membership.objects.get(user=owner).email_past_due is False


class TestAssigneeFirst:
    """Issue 15: each member's past-due digest opens with the reports assigned to them."""

    def test_the_assignee_reads_their_reports_first_and_the_others_get_the_shared_digest(
        self, make_report, owner, teammate, viewer
    ):
        from reports.services import report_assign

        theirs = overdue(make_report, details="Nobody's.")
        mine = report_assign(report=overdue(make_report), assignee=teammate, actor=owner)
        reports_mark_past_due()
        assert reminders_past_due_send() == 3
        delivered()
        [to_assignee] = inbox("teammate@acme.example")
        assert to_assignee.subject == (
            "[Acme Shop] 1 assigned to you, 2 reports past due: not processed within 72 hours"
        )
        body = to_assignee.body
        assert body.index("Assigned to you (1):") < body.index(mine.report_id)
        assert body.index(mine.report_id) < body.index("The others:")
        assert body.index("The others:") < body.index(theirs.report_id)
        assert body.count(mine.report_id) == 2  # its line and its link, not again below
        html, _ = to_assignee.alternatives[0]
        assert html.index("Assigned to you (1)") < html.index(mine.report_id)
        # Everyone else: the app's digest as before, both reports, no "assigned" section.
        for address in ("owner@acme.example", "viewer@acme.example"):
            [other] = inbox(address)
            assert other.subject == "[Acme Shop] 2 reports past due: not processed within 72 hours"
            assert "Assigned to you" not in other.body
            assert mine.report_id in other.body and theirs.report_id in other.body

    def test_an_assignee_who_turned_the_digest_off_is_not_emailed(
        self, make_report, owner, teammate
    ):
        from reports.services import report_assign

        Membership.objects.filter(user=teammate).update(email_past_due=False)
        report_assign(report=overdue(make_report), assignee=teammate, actor=owner)
        reports_mark_past_due()
        assert reminders_past_due_send() == 1
        delivered()
        assert inbox("teammate@acme.example") == []
