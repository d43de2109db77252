"""Screenshots on S3-compatible object storage, configured as production is: by the AWS_*
variables that config/settings.py reads, against a real moto server on loopback.

moto (5.2) checks neither the signature nor the expiry of a presigned URL: it serves an
expired or tampered URL like a fresh one. So the expiry is proven on the signature instead:
each signed URL is checked here with the published SigV4 algorithm against the secret key,
which shows the window (X-Amz-Date + X-Amz-Expires) is signed and cannot be stretched.
"""

import hashlib
import hmac
import io
import json
import logging
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from appeals.models import AppealScreenshot
from appeals.services import appeal_submit
from reports.models import Category, Report, Screenshot
from reports.screenshots import ProcessedImage, image_process, screenshots_delete_files
from reports.services import report_resolve
from tests.browser.test_csp import collect_csp_violations, session_for
from tests.factories import png_bytes, upload
from tests.moto import free_port, moto_server

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY = "AKIAREPORTDESKTEST01"
SECRET_KEY = "reportdesk-test-secret-key-not-a-real-one"
REGION = "eu-west-1"
EXPIRE_SECONDS = 2

# What config/settings.py builds from the environment: the default storage, the CSP, and a
# signed URL that storage makes (presigning sends nothing anywhere).
SETTINGS_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "from django.core.files.storage import default_storage as s; "
    "print(json.dumps({'storage': settings.STORAGES['default'], "
    "'csp': settings.CONTENT_SECURITY_POLICY, 'signed_url': s.url('screenshots/x.png')}))"
)


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server.endpoint


def settings_from_environment(tmp_path, **env) -> dict:
    """Run config/settings.py in a fresh interpreter with these variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", VAR_DIR=str(tmp_path))
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass
class Bucket:
    endpoint: str
    name: str
    client: object

    def keys(self) -> set[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return {item["Key"] for item in listing.get("Contents", [])}

    def get(self, key: str) -> dict:
        return self.client.get_object(Bucket=self.name, Key=key)

    def plain_url(self, key: str) -> str:
        return f"{self.endpoint}/{self.name}/{key}"


@pytest.fixture(scope="module")
def s3_settings(s3_endpoint, tmp_path_factory) -> dict:
    """The settings config/settings.py builds for a bucket on the moto server."""
    return settings_from_environment(
        tmp_path_factory.mktemp("settings"),
        AWS_STORAGE_BUCKET_NAME=f"screens-{secrets.token_hex(4)}",
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_S3_REGION_NAME=REGION,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_QUERYSTRING_EXPIRE=str(EXPIRE_SECONDS),
    )


@pytest.fixture
def bucket(s3_endpoint, s3_settings, settings) -> Bucket:
    """An empty bucket, and the app's storage (and CSP) switched to it."""
    name = s3_settings["storage"]["OPTIONS"]["bucket_name"]
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {**settings.STORAGES, "default": s3_settings["storage"]}
    settings.CONTENT_SECURITY_POLICY = s3_settings["csp"]
    yield Bucket(endpoint=s3_endpoint, name=name, client=client)
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def submit_with_screenshot(client, content: bytes, name="shot.png", content_type="image/png"):
    return client.post(
        "/help/acme/new/community/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "community.spam",
            "screenshots": [upload(content, name=name, content_type=content_type)],
        },
    )


def sigv4_signature(url: str, secret_key: str) -> str:
    """The SigV4 query-string signature of a presigned GET, computed as AWS documents it."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k != "X-Amz-Signature"]
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params))
    canonical = "\n".join(
        ["GET", parts.path, query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    values = dict(params)
    scope = values["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            values["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{secret_key}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def assert_signed_for_a_short_window(url: str, *, issued_between: tuple[datetime, datetime]):
    """The URL is validly signed with the secret key, and its signed window is
    AWS_QUERYSTRING_EXPIRE seconds from the moment the app issued it."""
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Credential"].startswith(f"{ACCESS_KEY}/")
    assert params["X-Amz-SignedHeaders"] == "host"
    assert params["X-Amz-Expires"] == str(EXPIRE_SECONDS)
    issued = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    start, end = issued_between
    assert start.replace(microsecond=0) <= issued <= end
    assert params["X-Amz-Signature"] == sigv4_signature(url, SECRET_KEY)
    # Stretching the window (or replaying it later) breaks the signature.
    stretched = url.replace(f"X-Amz-Expires={EXPIRE_SECONDS}", "X-Amz-Expires=604800")
    assert sigv4_signature(stretched, SECRET_KEY) != params["X-Amz-Signature"]
    later = issued + timedelta(seconds=EXPIRE_SECONDS + 1)
    replayed = url.replace(params["X-Amz-Date"], later.strftime("%Y%m%dT%H%M%SZ"))
    assert sigv4_signature(replayed, SECRET_KEY) != params["X-Amz-Signature"]


def assert_private(bucket: Bucket, key: str) -> None:
    assert httpx.get(bucket.plain_url(key)).status_code == 403
    grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=key)["Grants"]
    grantees = {grant["Grantee"].get("URI", grant["Grantee"].get("ID")) for grant in grants}
    assert len(grantees) == 1  # the bucket owner only
    assert not any("AllUsers" in g or "AuthenticatedUsers" in g for g in grantees)


def test_the_environment_selects_private_signed_s3_storage(bucket, settings):
    default = settings.STORAGES["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == bucket.name
    assert default["OPTIONS"]["endpoint_url"] == bucket.endpoint
    assert default["OPTIONS"]["default_acl"] is None  # private by default; see settings
    assert default["OPTIONS"]["querystring_auth"] is True
    assert default["OPTIONS"]["querystring_expire"] == EXPIRE_SECONDS
    assert default["OPTIONS"]["signature_version"] == "s3v4"
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"][-1] == bucket.endpoint


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.mark.parametrize(
    ("bucket_name", "region"),
    [("screens", ""), ("screens", "eu-central-1"), ("my.screens", "eu-central-1")],
)
def test_the_csp_lets_images_load_from_where_amazon_s3_urls_point(tmp_path, bucket_name, region):
    # botocore puts the bucket in the host name or in the path, by its name and region.
    found = settings_from_environment(
        tmp_path,
        AWS_STORAGE_BUCKET_NAME=bucket_name,
        AWS_S3_REGION_NAME=region,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    signed = origin(found["signed_url"])
    assert signed.endswith(".amazonaws.com")
    assert found["csp"]["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:", signed]


@pytest.mark.parametrize(
    ("image_format", "extension", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_a_help_center_screenshot_lands_in_the_bucket_as_a_private_object(
    client, mini_app, bucket, media_root, image_format, extension, content_type
):
    original = png_bytes(size=(900, 700), image_format=image_format)
    response = submit_with_screenshot(
        client, original, name=f"shot.{extension}", content_type=content_type
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shot = Screenshot.objects.get()
    assert shot.image.name.startswith("screenshots/") and shot.image.name.endswith(extension)
    assert bucket.keys() == {shot.image.name, shot.thumbnail.name}
    image, thumbnail = bucket.get(shot.image.name), bucket.get(shot.thumbnail.name)
    assert image["ContentType"] == thumbnail["ContentType"] == content_type
    assert image["ContentLength"] == shot.size
    with Image.open(io.BytesIO(thumbnail["Body"].read())) as thumb:
        assert thumb.format == image_format and max(thumb.size) == 320
    for key in (shot.image.name, shot.thumbnail.name):
        assert_private(bucket, key)
    assert not media_root.exists() or not any(media_root.rglob("*.*"))  # nothing on local disk


def test_uploads_name_no_acl_so_buckets_with_acls_disabled_accept_them(client, mini_app, bucket):
    # AWS refuses any x-amz-acl (even "private") on a bucket with ACLs disabled, its default
    # since 2023; moto does not, so the requests the app sends are read on the wire instead.
    sent = []
    s3_client = default_storage.connection.meta.client
    s3_client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(request.headers)
    )
    submit_with_screenshot(client, png_bytes())
    assert len(sent) == 2  # the image and its thumbnail
    for headers in sent:
        assert not [
            name for name in headers if name.lower().startswith(("x-amz-acl", "x-amz-grant"))
        ]
    assert len(bucket.keys()) == 2


def test_a_member_is_redirected_to_a_short_lived_signed_url_that_serves_the_image(
    client, mini_app, owner, bucket
):
    submit_with_screenshot(client, png_bytes(size=(900, 700)))
    shot = Screenshot.objects.select_related("report").get()
    stored_image = bucket.get(shot.image.name)["Body"].read()
    stored_thumb = bucket.get(shot.thumbnail.name)["Body"].read()
    client.force_login(owner)
    args = {"app_slug": "acme", "report_id": shot.report.report_id, "screenshot_id": shot.pk}
    for view, key, content in [
        ("reports:screenshot", shot.image.name, stored_image),
        ("reports:screenshot_thumbnail", shot.thumbnail.name, stored_thumb),
    ]:
        before = datetime.now(UTC)
        response = client.get(reverse(view, kwargs=args))
        after = datetime.now(UTC)
        assert response.status_code == 302
        signed = response["Location"]
        assert signed.startswith(bucket.plain_url(key) + "?")
        # The redirect lives no longer than the URL it points to.
        assert "no-store" in response["Cache-Control"]
        fetched = httpx.get(signed)
        assert fetched.status_code == 200
        assert fetched.content == content
        assert fetched.headers["Content-Type"] == "image/png"
        assert_signed_for_a_short_window(signed, issued_between=(before, after))


def test_the_reporter_with_the_key_gets_a_signed_url_and_a_wrong_key_gets_404(
    client, mini_app, bucket
):
    submit_with_screenshot(client, png_bytes())
    report = Report.objects.get()
    path = reverse(
        "tickets:report_screenshot",
        kwargs={"app_slug": "acme", "report_id": report.report_id, "position": 1},
    )
    response = client.get(f"{path}?key={report.access_key}")
    assert response.status_code == 302
    assert httpx.get(response["Location"]).status_code == 200
    wrong = client.get(f"{path}?key={report.access_key[:-1]}x")
    assert wrong.status_code == 404
    assert bucket.endpoint not in wrong.content.decode()
    assert client.get(path).status_code == 404


def test_no_signed_url_for_a_member_of_another_app_or_a_visitor(client, mini_app, outsider, bucket):
    submit_with_screenshot(client, png_bytes())
    shot = Screenshot.objects.select_related("report").get()
    path = reverse(
        "reports:screenshot",
        kwargs={"app_slug": "acme", "report_id": shot.report.report_id, "screenshot_id": shot.pk},
    )
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    refused = client.get(path)
    assert refused.status_code == 404
    assert bucket.endpoint not in refused.content.decode()
    # Nor through the outsider's own app with this report's screenshot id.
    other = path.replace("/acme/", "/globex/")
    assert client.get(other).status_code == 404


def test_an_appeal_screenshot_is_private_and_served_by_signed_url(
    client, mini_app, owner, make_report, bucket
):
    report = report_resolve(
        report=make_report(Category.PAYMENT, contact_email="r@example.net"),
        actor=owner,
        notes="Refunded.",
    )
    appeal = appeal_submit(
        report=report,
        contact_email="r@example.net",
        reason="The refund never arrived on my card.",
        screenshots=[image_process(upload(png_bytes()))],
    )
    shot = AppealScreenshot.objects.get(appeal=appeal)
    assert shot.image.name.startswith("appeal-screenshots/")
    assert bucket.keys() == {shot.image.name, shot.thumbnail.name}
    assert_private(bucket, shot.image.name)
    client.force_login(owner)
    path = reverse(
        "appeals:appeal_screenshot",
        kwargs={"app_slug": "acme", "appeal_id": appeal.pk, "position": 0},
    )
    response = client.get(path)
    assert response.status_code == 302
    assert httpx.get(response["Location"]).content == bucket.get(shot.image.name)["Body"].read()


def test_deleting_a_reports_files_removes_the_objects(client, mini_app, bucket):
    submit_with_screenshot(client, png_bytes())
    shot = Screenshot.objects.get()
    assert bucket.keys() == {shot.image.name, shot.thumbnail.name}
    screenshots_delete_files([shot.image.name, shot.thumbnail.name])
    assert bucket.keys() == set()


def test_a_submission_the_database_refuses_leaves_no_object_behind(make_report, bucket):
    # A negative width breaks the screenshot row's CHECK constraint after both files are up.
    good = image_process(upload(png_bytes()))
    refused = ProcessedImage(**{**good.__dict__, "width": -1})
    with pytest.raises(IntegrityError):
        make_report(Category.COMMUNITY, screenshots=[good, refused])
    assert Report.objects.count() == 0
    assert bucket.keys() == set()


def test_cleanup_with_the_storage_unreachable_logs_instead_of_raising(settings, tmp_path, caplog):
    # A failed submission's cleanup must not replace the failure it cleans up after.
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    found = settings_from_environment(
        tmp_path,
        AWS_STORAGE_BUCKET_NAME="screens",
        AWS_S3_ENDPOINT_URL=dead,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    settings.STORAGES = {**settings.STORAGES, "default": found["storage"]}
    with caplog.at_level(logging.ERROR, logger="reports.screenshots"):
        screenshots_delete_files(["screenshots/gone.png"])
    assert "Could not delete orphan screenshot file screenshots/gone.png" in caplog.text
    assert "Could not connect to the endpoint URL" in caplog.text


# The image's width once it has loaded, 0 if it failed (blocked, refused, not an image).
LOADED_WIDTH = """img => img.complete ? img.naturalWidth : new Promise((done) => {
  img.addEventListener("load", () => done(img.naturalWidth));
  img.addEventListener("error", () => done(0));
})"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_shows_the_screenshots_from_the_bucket_under_the_csp(
    page, live_server, owner, mini_app, bucket
):
    violations = collect_csp_violations(page)
    submit_with_screenshot(Client(), png_bytes(size=(900, 700)))
    report = Report.objects.get()
    session_for(page, owner, live_server)
    page.goto("/console/acme/reports/")
    thumbnail = page.get_by_role("img", name=f"Screenshot of report {report.report_id}")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate(LOADED_WIDTH) == 320
    page.goto(f"/help/acme/tickets/{report.report_id}/?key={report.access_key}")
    shot = page.get_by_role("img", name="Screenshot 1")
    assert shot.evaluate(LOADED_WIDTH) == 320
    assert violations == []


def test_the_handling_apis_screenshot_link_redirects_to_a_short_lived_signed_url(
    client, mini_app, owner, bucket
):
    from reports.api_keys.services import api_key_create

    submit_with_screenshot(client, png_bytes(size=(900, 700)))
    shot = Screenshot.objects.select_related("report").get()
    stored_image = bucket.get(shot.image.name)["Body"].read()
    key = api_key_create(mini_app=mini_app, actor=owner, name="Tool", scope="read")[1]
    read = client.get(
        f"/api/v1/apps/acme/reports/{shot.report.report_id}", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    link = read.json()["screenshots"][0]["url"]
    before = datetime.now(UTC)
    response = client.get(link)  # the link alone, as an <img> would fetch it
    after = datetime.now(UTC)
    assert response.status_code == 302
    signed = response["Location"]
    assert signed.startswith(bucket.plain_url(shot.image.name) + "?")
    assert "no-store" in response["Cache-Control"]
    fetched = httpx.get(signed)
    assert fetched.status_code == 200 and fetched.content == stored_image
    assert_signed_for_a_short_window(signed, issued_between=(before, after))
