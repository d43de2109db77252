"""The developer's appeals queue and panel: members only, search/filter/sort, deciding."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals.models import Appeal
from appeals.services import appeal_uphold
from reports.models import ReportEvent, Status
from reports.services import report_notes_edit

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind


def list_url(slug="acme", **params):
    from urllib.parse import urlencode

    url = reverse("appeals:appeal_list", kwargs={"app_slug": slug})
    return f"{url}?{urlencode(params)}" if params else url


def panel_url(appeal, slug="acme"):
    return reverse("appeals:appeal_detail", kwargs={"app_slug": slug, "appeal_id": appeal.pk})


@pytest.fixture
def appeal(resolved_report, make_appeal):
    return make_appeal(resolved_report)


def test_signed_out_visitors_are_sent_to_sign_in(client, appeal):
    for url in [list_url(), panel_url(appeal)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_outsiders_get_404_for_every_appeals_url(client, appeal, outsider, screenshot):
    client.force_login(outsider)
    assert client.get(list_url()).status_code == 404
    assert client.get(panel_url(appeal)).status_code == 404
    assert client.post(panel_url(appeal), {"decision": "uphold", "reply": "x"}).status_code == 404
    shot = reverse(
        "appeals:appeal_screenshot",
        kwargs={"app_slug": "acme", "appeal_id": appeal.pk, "position": 0},
    )
    assert client.get(shot).status_code == 404
    appeal.refresh_from_db()
    assert appeal.is_open


def test_an_appeal_is_not_reachable_through_another_apps_url(client, appeal, outsider):
    """A member of globex asking for acme's appeal under globex's slug: still a 404."""
    client.force_login(outsider)
    assert client.get(panel_url(appeal, slug="globex")).status_code == 404
    page = client.get(list_url("globex")).content.decode()
    assert appeal.report.report_id not in page


def test_the_queue_lists_open_appeals_first_then_decided(
    client, owner, handled_report, make_appeal
):
    decided = make_appeal(handled_report())
    appeal_uphold(appeal=decided, actor=owner, reply="Stands.")
    older = make_appeal(handled_report(), now=timezone.now() - timedelta(hours=5))
    newer = make_appeal(handled_report())
    client.force_login(owner)
    page = client.get(list_url()).content.decode()
    ids = [a.report.report_id for a in (older, newer, decided)]
    positions = [page.index(report_id) for report_id in ids]
    assert positions == sorted(positions)
    assert "3 appeals, 2 open" in page
    for header in ["Report ID", "Order ID", "Decision appealed", "Reason", "Due", "Status"]:
        assert f'<th scope="col">{header}</th>' in page


def test_search_filter_and_sort(client, owner, handled_report, make_appeal):
    first = make_appeal(handled_report(order_id="ORD-777"), reason="Charged twice for one order!")
    second = make_appeal(handled_report("dismissed"), contact_email="Bob@Example.net")
    Appeal.objects.filter(pk=second.pk).update(past_due_at=timezone.now())
    client.force_login(owner)

    def shown(**params):
        page = client.get(list_url(**params)).content.decode()
        return {a.report.report_id for a in (first, second) if a.report.report_id in page}

    assert shown(q="ORD-777") == {first.report.report_id}
    assert shown(q=first.report.report_id.lower()) == {first.report.report_id}
    assert shown(q="bob@example.net") == {second.report.report_id}
    assert shown(q="charged twice") == {first.report.report_id}
    assert shown(past_due="yes") == {second.report.report_id}
    assert shown(appealed_status="dismissed") == {second.report.report_id}
    assert shown(state="upheld") == set()
    page = client.get(list_url(o="-created")).content.decode()
    assert page.index(second.report.report_id) < page.index(first.report.report_id)
    empty = client.get(list_url(q="nothing-like-this")).content.decode()
    assert "No appeals match these filters." in empty


def test_htmx_requests_get_only_the_table(client, owner, appeal):
    client.force_login(owner)
    response = client.get(list_url(), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="appeal-table">')
    assert "<html" not in html
    assert appeal.report.report_id in html


def test_a_history_restore_gets_the_whole_page_and_caches_keep_the_two_apart(client, owner, appeal):
    client.force_login(owner)
    restore = client.get(
        list_url(), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()
    assert appeal.report.report_id in restore.content.decode()
    for response in (
        restore,
        client.get(list_url()),
        client.get(list_url(), HTTP_HX_REQUEST="true"),
    ):
        assert "HX-Request" in response["Vary"]


def test_the_queue_pages(client, owner, handled_report, make_appeal):
    for _ in range(26):
        make_appeal(handled_report())
    client.force_login(owner)
    first = client.get(list_url()).content.decode()
    assert "Page 1 of 2" in first and "Next page" in first
    second = client.get(list_url(page=2)).content.decode()
    assert "Page 2 of 2" in second and "Previous page" in second


def test_the_empty_queue_says_so(client, owner):
    client.force_login(owner)
    assert "No appeals yet." in client.get(list_url()).content.decode()


def test_the_panel_shows_the_report_notes_decision_and_appeal(client, teammate, appeal):
    client.force_login(teammate)
    page = client.get(panel_url(appeal)).content.decode()
    report = appeal.report
    assert report.report_id in page and report.order_id in page
    assert "Refund sent on the 3rd. (internal)" in page  # notes, for the team
    assert "never shown to the reporter" in page
    assert "Resolved" in page and appeal.reason in page
    assert "Uphold" in page and "Overturn" in page
    assert "Reply to the reporter" in page


def test_uphold_from_the_panel(client, teammate, appeal):
    client.force_login(teammate)
    response = client.post(
        panel_url(appeal), {"decision": "uphold", "reply": "We checked with the bank."}, follow=True
    )
    assert "Appeal upheld: the decision stands." in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.UPHELD and appeal.decided_by == teammate
    assert appeal.report.events.filter(kind=Kind.APPEAL_UPHELD, actor=teammate).exists()


def test_overturn_from_the_panel_changes_the_report(client, owner, appeal):
    client.force_login(owner)
    response = client.post(
        panel_url(appeal),
        {
            "decision": "overturn",
            "reply": "Refund re-issued.",
            "new_status": "dismissed",
            "version": appeal.report.version,
        },
        follow=True,
    )
    assert "the report is now Dismissed" in response.content.decode()
    appeal.report.refresh_from_db()
    assert appeal.report.status == Status.DISMISSED
    assert appeal.report.events.filter(kind=Kind.APPEAL_OVERTURNED, actor=owner).exists()


def test_a_decision_without_a_reply_is_refused(client, owner, appeal):
    client.force_login(owner)
    response = client.post(panel_url(appeal), {"decision": "uphold", "reply": "  "})
    assert response.status_code == 400
    assert "Write a reply to the reporter" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.is_open


def test_a_stale_panel_is_told_what_changed(client, owner, teammate, appeal):
    client.force_login(owner)
    seen_version = appeal.report.version
    report_notes_edit(report=appeal.report, actor=teammate, notes="Bank confirmed.")
    response = client.post(
        panel_url(appeal),
        {
            "decision": "overturn",
            "reply": "Overturned.",
            "new_status": "dismissed",
            "version": seen_version,
        },
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.is_open


def test_a_decided_appeal_cannot_be_decided_again(client, owner, appeal):
    appeal_uphold(appeal=appeal, actor=owner, reply="Stands.")
    client.force_login(owner)
    response = client.post(
        panel_url(appeal),
        {"decision": "overturn", "reply": "No.", "new_status": "dismissed"},
        follow=True,
    )
    assert "This appeal was already decided." in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.UPHELD


def test_appeal_screenshots_are_served_to_members(
    client, owner, resolved_report, make_appeal, screenshot
):
    appeal = make_appeal(resolved_report, screenshots=[screenshot])
    client.force_login(owner)
    url = reverse(
        "appeals:appeal_screenshot",
        kwargs={"app_slug": "acme", "appeal_id": appeal.pk, "position": 0},
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(url + "?size=thumb").status_code == 200
    missing = url.replace("/screenshots/0/", "/screenshots/5/")
    assert client.get(missing).status_code == 404


def test_the_nav_badge_counts_open_appeals(client, owner, handled_report, make_appeal):
    first = make_appeal(handled_report())
    make_appeal(handled_report())
    appeal_uphold(appeal=first, actor=owner, reply="Stands.")
    client.force_login(owner)
    page = client.get(list_url()).content.decode()
    assert '<span class="badge" aria-label="1 open">1</span>' in page


def test_every_console_page_links_to_appeals_with_the_open_count(
    client, owner, appeal, make_report
):
    client.force_login(owner)
    report = make_report()
    for url in [
        reverse("reports:report_list", kwargs={"app_slug": "acme"}),
        reverse("reports:report_detail", args=["acme", report.report_id]),
        list_url(),
        panel_url(appeal),
    ]:
        page = client.get(url).content.decode()
        assert '<nav class="console-nav" aria-label="Console">' in page, url
        assert 'href="/console/acme/appeals/"' in page, url
        assert '<span class="badge" aria-label="1 open">1</span>' in page, url


def test_the_console_nav_stays_off_reporter_pages(client, owner, appeal):
    from .conftest import appeal_url

    client.force_login(owner)  # even for a signed-in developer
    report = appeal.report
    status = f"/help/acme/tickets/{report.report_id}/?key={report.access_key}"
    for url in [status, appeal_url(report)]:
        assert 'aria-label="Console"' not in client.get(url).content.decode(), url


def test_the_queue_and_panel_cost_the_same_queries_whatever_their_size(
    client, owner, handled_report, make_appeal, screenshot
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = make_appeal(handled_report(), screenshots=[screenshot])
    client.force_login(owner)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small_list, small_panel = count(list_url()), count(panel_url(first))
    for _ in range(6):
        make_appeal(handled_report(), screenshots=[screenshot, screenshot])
    report_notes_edit(report=first.report, actor=owner, notes="More history rows.")
    assert count(list_url()) == small_list
    assert count(panel_url(first)) == small_panel
