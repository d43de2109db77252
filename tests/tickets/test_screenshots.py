"""Bad images get a clear message and leave nothing behind; good ones are re-encoded clean."""

import io
import secrets
import struct
import zlib

import pytest
from PIL import Image

from reports.models import Report, Screenshot
from tests.conftest import stored_files
from tests.factories import png_bytes, upload

pytestmark = pytest.mark.django_db


def submit(client, *files):
    return client.post(
        "/help/acme/new/experience/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": "See the screenshot.",
            "screenshots": list(files),
        },
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def decompression_bomb() -> bytes:
    # A tiny file that claims 100000 x 100000 pixels: 30 GB once decoded.
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


BAD_FILES = {
    "text named .png": (
        b"just some text, not an image\n" * 20,
        "notes.png",
        "This file is not a PNG, JPEG or WebP image.",
    ),
    "truncated png": (
        png_bytes(size=(400, 300), color=(1, 2, 3))[:-200],
        "cut.png",
        "This image appears to be damaged or incomplete.",
    ),
    "decompression bomb": (
        decompression_bomb(),
        "bomb.png",
        "This image has too many pixels (at most 40 megapixels).",
    ),
    "svg with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "evil.svg",
        "This file is not a PNG, JPEG or WebP image.",
    ),
    "gif": (
        png_bytes(image_format="GIF"),
        "anim.gif",
        "This file is not a PNG, JPEG or WebP image.",
    ),
    "20 MB file": (
        b"\x89PNG\r\n\x1a\n" + b"\x00" * (20 * 1024 * 1024),
        "huge.png",
        "This image is larger than 10 MB.",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_image_is_refused_with_a_clear_message_and_nothing_is_stored(
    client, mini_app, media_root, case
):
    content, name, message = BAD_FILES[case]
    good = upload(png_bytes(), name="good.png")
    response = submit(client, good, upload(content, name=name, content_type="image/png"))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{name}: {message}" in page
    assert Report.objects.count() == 0
    assert Screenshot.objects.count() == 0
    assert stored_files(media_root) == set()


def test_each_bad_file_gets_its_own_message(client, mini_app):
    response = submit(
        client,
        upload(b"hello", name="a.png"),
        upload(png_bytes(image_format="GIF"), name="b.gif"),
    )
    page = response.content.decode()
    assert "a.png: This file is not a PNG" in page
    assert "b.gif: This file is not a PNG" in page


def test_gps_exif_is_stripped_from_a_jpeg(client, mini_app):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the test file really carries GPS data
    response = submit(client, upload(original, name="photo.jpg", content_type="image/jpeg"))
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    stored = shot.image.open("rb").read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
    assert b"SpyCam" not in stored
    assert shot.content_type == "image/jpeg"
    assert shot.thumbnail.name and shot.thumbnail.name != shot.image.name


def test_anything_appended_to_an_image_is_dropped_and_names_are_generated(client, mini_app):
    payload = png_bytes() + b"<?php system($_GET['c']); ?>"
    response = submit(client, upload(payload, name="../../etc/passwd.png"))
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    assert b"<?php" not in shot.image.open("rb").read()
    assert "passwd" not in shot.image.name and ".." not in shot.image.name
    assert shot.image.name.startswith("screenshots/")


def test_content_decides_the_format_not_the_name(client, mini_app):
    webp = png_bytes(image_format="WEBP")
    response = submit(client, upload(webp, name="shot.png", content_type="image/png"))
    assert response.status_code == 302
    assert Screenshot.objects.get().content_type == "image/webp"


def zero_png(size, padding=0) -> bytes:
    # RGBA zeros compress to almost nothing: 40 megapixels in ~150 KB.
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue() + b"\x00" * padding  # bytes after IEND are dropped on re-encoding


def phone_screenshot() -> bytes:
    image = Image.new("RGB", (1170, 2532), (245, 245, 247))
    image.paste(Image.effect_noise((1170, 600), 60).convert("RGB"), (0, 400))  # a photo
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_huge_almost_empty_png_is_refused_before_it_is_decoded(client, mini_app, media_root):
    bomb = zero_png((8000, 5000))
    assert len(bomb) < 200_000  # inside the 10 MB and 40-megapixel limits
    response = submit(client, upload(bomb, name="zeros.png"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "zeros.png: This image is too large in pixels for its file size" in page
    assert Report.objects.count() == 0
    assert stored_files(media_root) == set()


def test_the_pixel_refusals_are_in_the_reporters_language(client, mini_app):
    client.cookies["django_language"] = "es"
    sparse = submit(client, upload(zero_png((8000, 5000)), name="zeros.png")).content.decode()
    assert "zeros.png: Esta imagen tiene demasiados píxeles para el tamaño de su archivo" in sparse
    shot = zero_png((4000, 3500), padding=14_000_000 // 32)
    page = submit(client, *(upload(shot, name=f"s{i}.png") for i in range(3))).content.decode()
    assert "En conjunto, estas capturas tienen demasiados píxeles" in page
    assert Report.objects.count() == 0


def test_screenshots_over_40_megapixels_in_all_are_refused(client, mini_app, media_root):
    # Each is 14 megapixels and carries enough bytes on its own; together they are too many.
    shot = zero_png((4000, 3500), padding=14_000_000 // 32)
    response = submit(client, *(upload(shot, name=f"s{i}.png") for i in range(3)))
    page = response.content.decode()
    assert "these screenshots have too many pixels (at most 40 megapixels in all)" in page
    assert Report.objects.count() == 0
    assert stored_files(media_root) == set()


@pytest.mark.parametrize(
    ("content", "size"),
    [(phone_screenshot(), (1170, 2532)), (zero_png((3840, 2160)), (3840, 2160))],
    ids=["phone screenshot", "empty 4K screenshot"],
)
def test_a_normal_big_screenshot_is_still_accepted(client, mini_app, content, size):
    response = submit(client, upload(content, name="big.png"))
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    with Image.open(shot.image.open("rb")) as image:
        assert image.size == size
    with Image.open(shot.thumbnail.open("rb")) as thumbnail:
        assert max(thumbnail.size) == 320
