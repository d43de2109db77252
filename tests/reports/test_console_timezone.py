"""Report times in the viewer's timezone: cookie, middleware, picker, date filters."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# 05:30 UTC on 1 January: still 31 December west of the date line, already evening east of it.
FILED = datetime(2026, 1, 1, 5, 30, tzinfo=UTC)


@pytest.fixture
def member(client, owner):
    client.force_login(owner)
    return owner


def shown_time(html: str) -> tuple[str, str]:
    match = re.search(r'<time datetime="[^"]+" title="([^"]+)">([^<]+)</time>', html)
    return match[2], match[1]


@pytest.mark.parametrize(
    ("zone", "local"),
    [
        ("Pacific/Kiritimati", "1 Jan 2026, 19:30"),  # UTC+14
        ("Pacific/Pago_Pago", "31 Dec 2025, 18:30"),  # UTC-11
        ("UTC", "1 Jan 2026, 05:30"),
    ],
)
def test_report_time_across_the_date_line(client, member, make_report, zone, local):
    make_report(now=FILED)
    client.cookies["reportdesk_tz"] = zone
    html = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    assert shown_time(html) == (local, "2026-01-01 05:30:00 UTC")
    assert f"Times are in <strong>{zone}</strong>" in html


def test_an_unknown_timezone_cookie_falls_back_to_utc(client, member, make_report):
    make_report(now=FILED)
    client.cookies["reportdesk_tz"] = "Mars/Olympus_Mons"
    html = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    assert shown_time(html)[0] == "1 Jan 2026, 05:30"
    assert "Times are in <strong>UTC</strong>" in html


def test_the_date_filter_uses_the_viewers_days(client, member, make_report):
    report = make_report(now=FILED)
    url = reverse("reports:report_list", args=["acme"])
    client.cookies["reportdesk_tz"] = "Pacific/Pago_Pago"
    html = client.get(url + "?reported_from=2025-12-31&reported_to=2025-12-31").content.decode()
    assert report.report_id in html
    client.cookies["reportdesk_tz"] = "Pacific/Kiritimati"
    html = client.get(url + "?reported_from=2025-12-31&reported_to=2025-12-31").content.decode()
    assert report.report_id not in html


def test_the_picker_remembers_a_timezone(client, member):
    page = client.get(reverse("reports:timezone") + "?next=/console/acme/reports/")
    assert b'<label for="id_timezone">Timezone</label>' in page.content
    response = client.post(
        reverse("reports:timezone"), {"timezone": "Europe/Berlin", "next": "/console/acme/reports/"}
    )
    assert response.status_code == 302 and response["Location"] == "/console/acme/reports/"
    assert response.cookies["reportdesk_tz"].value == "Europe/Berlin"


def test_the_picker_refuses_unknown_zones_and_foreign_redirects(client, member):
    response = client.post(reverse("reports:timezone"), {"timezone": "Nowhere/Land"})
    assert response.status_code == 200
    assert "Pick a timezone from the list." in response.content.decode()
    response = client.post(
        reverse("reports:timezone"), {"timezone": "UTC", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("reports:console_home")
