"""The screenshot storage fails while a report is saved: a clear answer, no row, no file.

Both failures are real: a local media directory that cannot be created (its parent is a
plain file, which stops root too, unlike a chmod), and S3-compatible object storage (a moto
server this test starts) that stops answering.
"""

import time

import boto3
import pytest

from appeals.models import Appeal
from reports.models import Category, OutboundEmail, Report, ReportEvent, Screenshot
from reports.services import report_resolve
from tests.conftest import stored_files
from tests.faults.submissions import (
    FORM,
    NOTHING,
    api_submit,
    appeal_fields,
    appeal_url,
    form_fields,
    nothing_saved,
)
from tests.moto import moto_server

pytestmark = pytest.mark.django_db

BUCKET = "screens"
S3_OPTIONS = {
    "bucket_name": BUCKET,
    "region_name": "eu-west-1",
    "access_key": "AKIAREPORTDESKFAULTS1",
    "secret_key": "faults-test-secret-not-a-real-one",
    "default_acl": None,  # as config/settings.py: no ACL header, private by default
    "signature_version": "s3v4",
    "querystring_auth": True,
    "file_overwrite": False,
}


def _the_form_and_the_api_say_not_saved(client, mini_app) -> None:
    page = client.post(FORM, form_fields())
    assert page.status_code == 503
    assert "nothing was saved. Please send it again in a minute." in page.content.decode()

    api = api_submit(client, mini_app)
    assert api.status_code == 503
    assert api.json()["error"] == "not_saved"
    assert int(api["Retry-After"]) > 0


def test_an_unusable_media_directory(client, mini_app, settings, tmp_path, caplog):
    blocker = tmp_path / "a-file-not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"

    _the_form_and_the_api_say_not_saved(client, mini_app)

    assert nothing_saved() == NOTHING
    assert stored_files(tmp_path) == {blocker.name}  # nothing was written anywhere under tmp_path
    causes = [r.exc_info[1].__cause__ for r in caplog.records if r.exc_info]
    assert causes and all(isinstance(cause, NotADirectoryError) for cause in causes)


def test_an_appeal_with_an_unusable_media_directory(client, make_report, owner, settings, tmp_path):
    report = report_resolve(report=make_report(Category.PAYMENT), actor=owner)
    before = nothing_saved()
    blocker = tmp_path / "a-file-not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"

    response = client.post(appeal_url(report), appeal_fields())

    assert response.status_code == 503
    assert "nothing was saved. Please send it again in a minute." in response.content.decode()
    assert Appeal.objects.count() == 0
    assert nothing_saved() == before
    assert stored_files(tmp_path) == {blocker.name}


@pytest.fixture
def object_storage(settings, tmp_path):
    """A moto S3 server with a bucket, as the default storage; the test stops it."""
    with moto_server(tmp_path) as server:
        endpoint = server.endpoint
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=S3_OPTIONS["region_name"],
            aws_access_key_id=S3_OPTIONS["access_key"],
            aws_secret_access_key=S3_OPTIONS["secret_key"],
        )
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {**S3_OPTIONS, "endpoint_url": endpoint},
            },
        }

        def keys() -> set[str]:
            return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}

        yield server.process, keys


def test_object_storage_that_stops_answering(client, mini_app, object_storage, media_root):
    server, keys = object_storage
    # While it answers, a report and its screenshots are stored there ...
    assert client.post(FORM, form_fields()).status_code == 302
    report = Report.objects.get()
    shots = list(report.screenshots.all())
    assert keys() == {name for shot in shots for name in (shot.image.name, shot.thumbnail.name)}
    before = nothing_saved()

    server.terminate()  # ... then it goes away: connections are refused
    server.wait(timeout=10)
    started = time.monotonic()
    _the_form_and_the_api_say_not_saved(client, mini_app)
    elapsed = time.monotonic() - started

    assert nothing_saved() == before  # still the one report, nothing of the failed two
    assert Report.objects.get() == report
    assert Screenshot.objects.count() == len(shots)
    assert ReportEvent.objects.count() == before["events"]
    assert OutboundEmail.objects.count() == before["emails"]
    assert stored_files(media_root) == set()  # never fell back to local files
    print(f"two refused submissions took {elapsed:.1f} s")
