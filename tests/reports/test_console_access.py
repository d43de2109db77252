import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client, mini_app):
    response = client.get(reverse("reports:report_list", args=[mini_app.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_console_home_jumps_into_the_only_app(client, owner, mini_app):
    client.force_login(owner)
    response = client.get(reverse("reports:console_home"))
    assert response["Location"] == reverse("reports:report_list", args=[mini_app.slug])


def test_member_sees_the_reports_of_their_app(client, owner, make_report):
    report = make_report()
    client.force_login(owner)
    page = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    assert report.report_id in page


def test_outsider_gets_404_not_the_data(client, outsider, make_report):
    make_report()
    client.force_login(outsider)
    assert client.get(reverse("reports:report_list", args=["acme"])).status_code == 404


def test_sign_in_page_signs_a_developer_in(client, owner):
    page = client.get("/accounts/login/")
    assert b'<label for="id_username">' in page.content
    response = client.post(
        "/accounts/login/", {"username": owner.username, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/"


# --- Every console URL, every kind of visitor


def _console_urls(report, shot):
    app, rid = report.mini_app.slug, report.report_id
    return [
        ("get", reverse("reports:report_list", args=[app])),
        ("get", reverse("reports:report_detail", args=[app, rid])),
        ("get", reverse("reports:screenshot", args=[app, rid, shot.pk])),
        ("get", reverse("reports:screenshot_thumbnail", args=[app, rid, shot.pk])),
        ("get", reverse("reports:reports_export", args=[app])),
        ("post", reverse("reports:report_notes", args=[app, rid])),
        ("post", reverse("reports:report_resolve", args=[app, rid])),
        ("post", reverse("reports:report_dismiss", args=[app, rid])),
        ("post", reverse("reports:report_reopen", args=[app, rid])),
        ("post", reverse("reports:reports_bulk", args=[app])),
    ]


@pytest.fixture
def acme_report(make_report, screenshot):
    report = make_report(screenshots=[screenshot], details="Secret acme details")
    return report, report.screenshots.get()


def _call(client, method, url, report):
    data = {"version": report.version, "notes": "hijack", "action": "resolve"}
    data["selected"] = report.report_id
    return getattr(client, method)(url, data) if method == "post" else client.get(url)


def test_member_of_another_app_gets_404_on_every_console_url(client, outsider, acme_report):
    report, shot = acme_report
    client.force_login(outsider)
    for method, url in _console_urls(report, shot):
        response = _call(client, method, url, report)
        assert response.status_code == 404, url
        assert b"Secret acme details" not in response.content
    report.refresh_from_db()
    assert report.version == 1 and report.notes == ""


def test_anonymous_and_inactive_users_are_sent_to_sign_in(client, make_user, acme_report, mini_app):
    from reports.models import Membership

    report, shot = acme_report
    inactive = make_user("gone@acme.example", is_active=False)
    Membership.objects.create(mini_app=mini_app, user=inactive)
    for who in (None, inactive):
        if who:
            client.force_login(who)
        for method, url in _console_urls(report, shot):
            response = _call(client, method, url, report)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/")
    report.refresh_from_db()
    assert report.version == 1


def test_member_reaches_every_console_url(client, teammate, acme_report):
    report, shot = acme_report
    client.force_login(teammate)
    for method, url in _console_urls(report, shot):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_a_report_id_of_another_app_is_404_under_my_app(client, owner, make_report, other_app):
    theirs = make_report(app=other_app)
    client.force_login(owner)
    url = reverse("reports:report_detail", args=["acme", theirs.report_id])
    assert client.get(url).status_code == 404
    url = reverse("reports:report_resolve", args=["acme", theirs.report_id])
    assert client.post(url, {"version": 1}).status_code == 404


def test_console_home_lists_several_apps(client, owner, other_app):
    from reports.models import Membership

    Membership.objects.create(mini_app=other_app, user=owner)
    client.force_login(owner)
    html = client.get(reverse("reports:console_home")).content.decode()
    assert "Acme Shop" in html and "Globex" in html
