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
