"""Deleting in the admin removes the screenshot files too, not only the rows; reports
themselves carry their history (the audit trail) and cannot be deleted."""

import pytest
from django.urls import reverse

from appeals.models import Appeal, AppealScreenshot
from appeals.services import appeal_submit
from reports.models import Category, Report, Screenshot
from reports.services import report_resolve
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db(transaction=True)  # the files go once the delete commits


def files_of(shot) -> set[str]:
    return {shot.image.name, shot.thumbnail.name}


@pytest.fixture
def appealed_report(make_report, screenshot, owner, media_root):
    """A payment report with a screenshot, resolved and appealed with a screenshot of its own."""
    report = make_report(Category.PAYMENT, screenshots=[screenshot])
    report = report_resolve(report=report, actor=owner, notes="Refunded.")
    appeal_submit(
        report=report,
        contact_email="reporter@example.net",
        reason="The refund never arrived, my bank shows no credit.",
        screenshots=[screenshot],
    )
    assert len(stored_files(media_root)) == 4  # two images, two thumbnails
    return report


def test_deleting_a_screenshot_deletes_its_files(admin_client, appealed_report, media_root):
    shot = Screenshot.objects.get(report=appealed_report)
    appeal_files = files_of(AppealScreenshot.objects.get())

    url = reverse("admin:reports_screenshot_delete", args=[shot.pk])
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Screenshot.objects.exists()
    assert stored_files(media_root) == appeal_files


def test_deleting_appeals_in_bulk_deletes_their_screenshots(
    admin_client, appealed_report, media_root
):
    report_files = files_of(Screenshot.objects.get(report=appealed_report))

    response = admin_client.post(
        reverse("admin:appeals_appeal_changelist"),
        {"action": "delete_selected", "_selected_action": [Appeal.objects.get().pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Appeal.objects.exists()
    assert stored_files(media_root) == report_files


def test_a_report_cannot_be_deleted_so_its_files_stay(admin_client, appealed_report, media_root):
    before = stored_files(media_root)

    url = reverse("admin:reports_report_delete", args=[appealed_report.pk])
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 403  # its history rows are the audit trail
    assert Report.objects.filter(pk=appealed_report.pk).exists()
    assert stored_files(media_root) == before
