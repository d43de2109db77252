"""reports.screenshots: one pipeline stores, removes and names the files of report and appeal
screenshots alike."""

import pytest
from django.db import transaction

from appeals.models import AppealScreenshot
from appeals.services import appeal_submit
from reports.models import Category, Screenshot
from reports.screenshots import screenshot_files_kept_with_rows, screenshot_store
from reports.services import report_resolve
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


class Interrupted(Exception):
    pass


def test_files_stored_in_a_block_that_fails_are_removed_with_its_rows(
    make_report, screenshot, media_root
):
    report = make_report()
    with (
        pytest.raises(Interrupted),
        screenshot_files_kept_with_rows() as stored,
        transaction.atomic(),
    ):
        screenshot_store(shot=Screenshot(report=report), image=screenshot, stored=stored)
        assert len(stored_files(media_root)) == 2  # the image and its thumbnail
        raise Interrupted
    assert not Screenshot.objects.exists()
    assert stored_files(media_root) == set()


def test_files_stored_in_a_block_that_succeeds_stay_with_their_row(
    make_report, screenshot, media_root
):
    report = make_report()
    with screenshot_files_kept_with_rows() as stored, transaction.atomic():
        shot = screenshot_store(shot=Screenshot(report=report), image=screenshot, stored=stored)
    assert stored_files(media_root) == {shot.image.name, shot.thumbnail.name}


def test_report_and_appeal_screenshots_keep_their_own_folders(
    make_report, screenshot, owner, media_root
):
    report = make_report(Category.PAYMENT, screenshots=[screenshot])
    report = report_resolve(report=report, actor=owner, notes="Refunded.")
    appeal_submit(
        report=report,
        contact_email="reporter@example.net",
        reason="The refund never arrived, my bank shows no credit.",
        screenshots=[screenshot],
    )
    report_shot = Screenshot.objects.get()
    appeal_shot = AppealScreenshot.objects.get()
    assert report_shot.image.name.startswith("screenshots/")
    assert report_shot.thumbnail.name.startswith("screenshots/")
    assert appeal_shot.image.name.startswith("appeal-screenshots/")
    assert appeal_shot.thumbnail.name.startswith("appeal-screenshots/")
    assert stored_files(media_root) == {
        report_shot.image.name,
        report_shot.thumbnail.name,
        appeal_shot.image.name,
        appeal_shot.thumbnail.name,
    }
