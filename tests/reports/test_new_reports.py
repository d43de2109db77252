"""The list's "N new reports, show them" poll: the count endpoint and what the list renders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import Category
from reports.selectors import NEW_REPORTS_CAP, new_reports_count
from reports.services import report_assign, report_resolve

pytestmark = pytest.mark.django_db


def count_url(app="acme", **params):
    url = reverse("reports:reports_new_count", args=[app])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def count(client, **params) -> dict:
    response = client.get(count_url(**params))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]  # the console's pages are never cached
    return response.json()


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def test_counts_only_reports_after_the_one_at_the_top(signed_in, make_report):
    make_report()
    top = make_report()
    assert count(signed_in, since=top.report_id) == {"count": 0, "capped": False, "display": "0"}
    make_report()
    make_report()
    assert count(signed_in, since=top.report_id)["count"] == 2
    # The anchor's ID in any case, as the list's own cursors.
    assert count(signed_in, since=top.report_id.lower())["count"] == 2


def test_an_empty_list_counts_every_match(signed_in, make_report):
    assert count(signed_in, since="")["count"] == 0
    make_report()
    assert count(signed_in)["count"] == 1


def test_the_list_filters_apply(signed_in, make_report, owner):
    top = make_report()
    make_report(details="The cart freezes after paying")
    make_report(Category.PAYMENT)
    report_resolve(report=make_report(details="Handled at once"), actor=owner)
    since = top.report_id
    assert count(signed_in, since=since)["count"] == 3
    assert count(signed_in, since=since, category="payment")["count"] == 1
    assert count(signed_in, since=since, category="experience")["count"] == 2
    assert count(signed_in, since=since, status="pending")["count"] == 2
    assert count(signed_in, since=since, status="resolved")["count"] == 1
    assert count(signed_in, since=since, q="freezes")["count"] == 1
    assert count(signed_in, since=since, q="nothing-like-this")["count"] == 0
    # Paging and sorting parameters do not change what counts as new.
    assert count(signed_in, since=since, after=since, ordering="-time")["count"] == 3


def test_invalid_filters_and_anchors_count_nothing(signed_in, make_report, other_app):
    top = make_report()
    make_report()
    assert count(signed_in, since=top.report_id, category="nonsense")["count"] == 0
    assert count(signed_in, since=top.report_id, reported_from="2026-02-31")["count"] == 0
    assert count(signed_in, since="NOSUCHID00")["count"] == 0
    assert count(signed_in, since="bad%00id")["count"] == 0


def test_tenant_isolation(client, make_report, mini_app, other_app, outsider):
    """Another app's reports never count, nor does another app's report as the anchor."""
    acme_top = make_report()
    make_report()
    globex_top = make_report(app=other_app)
    make_report(app=other_app)
    make_report(app=other_app)
    client.force_login(outsider)  # a member of globex only
    assert count(client, app="globex", since=globex_top.report_id)["count"] == 2
    assert count(client, app="globex", since=acme_top.report_id)["count"] == 0
    assert client.get(count_url("acme", since=acme_top.report_id)).status_code == 404


def test_capped_at_99_plus(mini_app, make_report):
    from reports.models import Report

    top = make_report()
    first = make_report()
    # Bulk copies of one filed report: the count only reads the rows, never their content.
    fields = {
        f.attname: getattr(first, f.attname)
        for f in Report._meta.concrete_fields
        if not f.primary_key and f.attname not in ("report_id", "access_key", "submission_key")
    }
    Report.objects.bulk_create(
        Report(**fields, report_id=f"CAP{n:07d}", access_key=f"k{n}") for n in range(120)
    )
    new = new_reports_count(mini_app=mini_app, params={}, since=top.report_id)
    assert (new.count, new.capped, new.display) == (NEW_REPORTS_CAP, True, "99+")


def test_constant_queries(signed_in, make_report):
    top = make_report()
    for _ in range(5):
        make_report()
    with CaptureQueriesContext(connection) as queries:
        count(signed_in, since=top.report_id, category="experience")
    # Session and user, membership, the handling members (the assignee filter's choices),
    # issue-type choices, the anchor, the bounded count.
    assert len(queries) <= 7, [q["sql"] for q in queries]


def test_the_list_polls_only_newest_first_on_its_first_page(signed_in, make_report, settings):
    settings.CONSOLE_NEW_REPORTS_POLL_SECONDS = 7
    make_report()
    top = make_report()
    url = reverse("reports:report_list", args=["acme"])

    html = signed_in.get(url + "?category=experience").content.decode()
    assert 'id="new-reports"' in html
    assert 'data-poll-seconds="7"' in html
    assert f"new-count/?category=experience&amp;since={top.report_id}" in html

    for params in ("?ordering=status", "?ordering=time", f"?after={top.report_id}"):
        html = signed_in.get(url + params).content.decode()
        assert 'id="new-reports"' in html, params  # the hook is always there, empty
        assert "data-new-count-url" not in html, params
    # A fragment (a filter changed by htmx) carries the poll for the new list state.
    html = signed_in.get(url + "?status=pending", headers={"HX-Request": "true"}).content
    assert b"data-new-count-url" in html


def test_show_them_opens_the_first_page_without_the_paging_that_led_back_to_it(
    signed_in, make_report
):
    older = make_report()
    make_report()
    url = reverse("reports:report_list", args=["acme"])
    html = signed_in.get(url + f"?category=experience&before={older.report_id}").content.decode()
    assert "data-new-count-url" in html  # "Previous" led back to the first page
    assert f'data-list-url="{url}?category=experience"' in html
    assert f'data-list-url="{url}"' in signed_in.get(url).content.decode()


def test_rows_carry_the_keyboard_hooks(signed_in, make_report):
    report = make_report()
    html = signed_in.get(reverse("reports:report_list", args=["acme"])).content.decode()
    panel = reverse("reports:report_detail", args=["acme", report.report_id])
    assert f'<tr id="row-{report.report_id}" data-report-row data-panel-url="{panel}"' in html
    assert 'id="shortcuts-dialog"' in html and "data-can-handle" in html
    html = signed_in.get(panel).content.decode()
    assert 'data-action="resolve"' in html and 'data-action="dismiss"' in html


def test_viewers_get_no_handling_shortcuts(client, viewer, make_report):
    make_report()
    client.force_login(viewer)
    html = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    assert 'id="shortcuts-dialog"' in html
    assert "data-can-handle" not in html
    assert "<kbd>r</kbd>" not in html


def test_assigned_to_me_counts_the_reports_assigned_to_whoever_asks(
    signed_in, make_report, owner, teammate
):
    top = make_report()
    report_assign(report=make_report(), assignee=owner, actor=owner)
    report_assign(report=make_report(), assignee=teammate, actor=owner)
    make_report()
    assert count(signed_in, since=top.report_id, assignee="me")["count"] == 1
    assert count(signed_in, since=top.report_id, assignee="none")["count"] == 1
