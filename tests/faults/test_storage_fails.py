"""The screenshot storage fails while a report is saved: a clear answer, no row, no file.

Both failures are real: a local media directory that cannot be created (its parent is a
plain file, which stops root too, unlike a chmod), and S3-compatible object storage (a moto
server this test starts) that stops answering.
"""

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import httpx
import pytest

from appeals.models import Appeal
from reports.models import Category, OutboundEmail, Report, ReportEvent, Screenshot
from reports.services import report_resolve
from tests.faults.submissions import (
    FORM,
    NOTHING,
    api_submit,
    appeal_fields,
    appeal_url,
    form_fields,
    nothing_saved,
    stored_files,
)

pytestmark = pytest.mark.django_db

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
BUCKET = "screens"
S3_OPTIONS = {
    "bucket_name": BUCKET,
    "region_name": "eu-west-1",
    "access_key": "AKIAREPORTDESKFAULTS1",
    "secret_key": "faults-test-secret-not-a-real-one",
    "default_acl": "private",
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
    assert stored_files(tmp_path) == [blocker]  # nothing was written anywhere under tmp_path
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
    assert stored_files(tmp_path) == [blocker]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def object_storage(settings, tmp_path):
    """A moto S3 server with a bucket, as the default storage; the test stops it."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with (tmp_path / "moto.log").open("w") as log:
        server = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )
    try:  # stopped whatever happens, also when it never came up
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "moto did not start"
                time.sleep(0.1)
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

        yield server, keys
    finally:
        server.kill()
        server.wait()


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
    assert stored_files(media_root) == []  # never fell back to local files
    print(f"two refused submissions took {elapsed:.1f} s")
