"""The reporter adds information on the status page: text and screenshots, while pending and
for 7 days after a decision, rate-limited; the console flags it until the team answers."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from reports.models import AddedScreenshot, Report, ReportEvent, Status
from reports.services import Dismissal, report_dismiss, report_reply, report_resolve
from tests.factories import png_bytes, upload
from tickets.services import InformationRefused, report_information_add

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind


def add_url(report, key=None) -> str:
    url = reverse("tickets:report_add_information", args=["acme", report.report_id])
    return f"{url}?key={key if key is not None else report.access_key}"


def status_url(report) -> str:
    url = reverse("tickets:report_status", args=["acme", report.report_id])
    return f"{url}?key={report.access_key}"


def flagged(report) -> bool:
    return Report.objects.get(pk=report.pk).reporter_replied_at is not None


def test_text_and_screenshots_become_a_public_history_line_and_flag_the_report(client, make_report):
    report = make_report()
    response = client.post(
        add_url(report),
        {
            "text": "It happens on Android 14 too.",
            "screenshots": [upload(png_bytes()), upload(png_bytes(color=(0, 0, 255)))],
        },
    )
    assert response.status_code == 302 and response["Location"] == status_url(report)
    event = report.events.get(kind=Kind.INFORMATION_ADDED)
    assert event.is_public and event.actor is None
    assert event.data == {"text": "It happens on Android 14 too."}
    assert event.screenshots.count() == 2
    assert flagged(report)
    page = client.get(status_url(report)).content.decode()
    assert "The team can now see what you added" in page
    assert "You added information" in page and "It happens on Android 14 too." in page
    assert "2 screenshots attached" in page
    report.refresh_from_db()
    assert report.status == Status.PENDING


def test_it_does_not_reopen_a_decided_report(client, make_report, owner):
    report = report_resolve(report=make_report(), actor=owner)
    response = client.post(add_url(report), {"text": "Still broken for me."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.RESOLVED and report.reporter_replied_at is not None


def test_seven_days_after_the_decision_it_is_refused_with_a_clear_message(
    client, make_report, owner
):
    report = report_dismiss(report=make_report(), actor=owner, dismissal=Dismissal("spam"))
    Report.objects.filter(pk=report.pk).update(
        handled_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    page = client.get(status_url(report)).content.decode()
    assert "no longer takes new information" in page
    response = client.post(add_url(report), {"text": "Hello?"})
    assert response.status_code == 409
    assert "no longer takes new information" in response.content.decode()
    assert not report.events.filter(kind=Kind.INFORMATION_ADDED).exists()
    assert not flagged(report)


def test_just_inside_the_window_it_is_accepted(make_report, owner):
    report = report_resolve(report=make_report(), actor=owner)
    now = report.handled_at + timedelta(days=7) - timedelta(seconds=1)
    report_information_add(report=report, text="One more thing", now=now)
    with pytest.raises(InformationRefused):
        report_information_add(
            report=report, text="Too late", now=report.handled_at + timedelta(days=7, seconds=1)
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "  "}, "Write something or attach a screenshot to add."),
        ({"text": "x" * 2001}, "Write at most 2000 characters (you wrote 2001)."),
        (
            {"text": "four", "screenshots": [upload(png_bytes()) for _ in range(4)]},
            "Attach at most 3 screenshots",
        ),
        (
            {"text": "not an image", "screenshots": [upload(b"GIF89a nope", name="x.png")]},
            "x.png:",
        ),
    ],
)
def test_a_refused_addition_says_why_and_stores_nothing(client, make_report, data, message):
    report = make_report()
    response = client.post(add_url(report), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not report.events.filter(kind=Kind.INFORMATION_ADDED).exists()
    assert not AddedScreenshot.objects.exists()
    assert not flagged(report)


def test_a_wrong_key_is_a_404_and_stores_nothing(client, make_report):
    report = make_report()
    response = client.post(add_url(report, key="wrong-key-0000000000000"), {"text": "Hi"})
    assert response.status_code == 404
    assert not report.events.filter(kind=Kind.INFORMATION_ADDED).exists()


@override_settings(TICKETS_RATE_LIMITS={"add_information_report": (2, 3600)})
def test_it_is_rate_limited_per_report(client, make_report):
    report = make_report()
    for n in range(2):
        assert client.post(add_url(report), {"text": f"Addition {n}"}).status_code == 302
    refused = client.post(add_url(report), {"text": "Addition 3"})
    assert refused.status_code == 429 and "Retry-After" in refused
    assert report.events.filter(kind=Kind.INFORMATION_ADDED).count() == 2


def test_in_spanish(client, make_report):
    report = make_report()
    client.cookies["django_language"] = "es"
    page = client.get(status_url(report)).content.decode()
    assert "Añadir información" in page and "¿Qué quieres añadir?" in page
    response = client.post(add_url(report), {"text": ""})
    assert "Escribe algo o adjunta una captura de pantalla" in response.content.decode()


def test_the_list_flags_it_with_a_filter_and_a_reply_clears_the_flag(client, owner, make_report):
    quiet, talking = make_report(), make_report()
    report_information_add(report=talking, text="More details")
    client.force_login(owner)
    list_url = reverse("reports:report_list", args=["acme"])
    page = client.get(list_url).content.decode()
    row = page[page.index(f'id="row-{talking.report_id}"') :]
    assert "Reporter replied" in row[: row.index("</tr>")]
    filtered = client.get(list_url, {"reporter_replied": "true"}).content.decode()
    assert talking.report_id in filtered and quiet.report_id not in filtered
    report_reply(report=talking, actor=owner, text="Thanks, noted.")
    assert not flagged(talking)
    filtered = client.get(list_url, {"reporter_replied": "true"}).content.decode()
    assert talking.report_id not in filtered


def test_the_panel_shows_the_text_and_the_images(client, owner, teammate, outsider, make_report):
    report = make_report()
    image = png_bytes()
    from reports.screenshots import image_process

    event = report_information_add(
        report=report, text="See attached", screenshots=[image_process(upload(image))]
    )
    shot = event.screenshots.get()
    client.force_login(teammate)
    page = client.get(reverse("reports:report_detail", args=["acme", report.report_id]))
    body = page.content.decode()
    assert (
        "Reporter added information" in body
        and "See attached" in body
        and "by the reporter" in body
    )
    shot_url = reverse("reports:added_screenshot", args=["acme", report.report_id, shot.pk])
    assert shot_url in body
    served = client.get(shot_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    client.force_login(outsider)
    assert client.get(shot_url).status_code == 404
