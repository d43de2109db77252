"""The screenshot pipeline shared by reports and appeals, in one place: judge by content,
re-encode, thumbnail; store the files with their row, remove them when the row is not kept;
serve them privately to a viewer the caller has authorised.

Nothing the sender claims (file name, Content-Type) is trusted. Re-encoding drops metadata
(EXIF, GPS) and anything appended after the image data.
"""

import io
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import ScreenshotFiles

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; a decompression bomb is far beyond this
MAX_SCREENSHOTS = 3
# Every multipart body that carries screenshots: three full-size files plus the text fields.
MAX_SUBMISSION_BYTES = MAX_SCREENSHOTS * MAX_BYTES + 256 * 1024
# Decoding costs per pixel, not per byte: a 150 KB PNG of zeros can hold 40 megapixels (2 s and
# 600 MB to re-encode). Up to a 4K screen's worth, any file size is fine; above, an image must
# carry at least one byte per MAX_PIXELS_PER_BYTE pixels (real screenshots carry far more), and
# a submission at most MAX_SUBMISSION_PIXELS in all, so its cost follows the bytes sent.
PIXELS_ANY_FILE_SIZE = 9_000_000  # 3840 x 2160 is 8.3 MP; every phone screen is below
MAX_PIXELS_PER_BYTE = 32
MAX_SUBMISSION_PIXELS = MAX_PIXELS  # one 8000 x 5000 image, or three 5K screens
THUMBNAIL_SIZE = (320, 320)

# Pillow format -> (content type, extension, save options)
ACCEPTED_FORMATS = {
    "PNG": ("image/png", "png", {"optimize": False}),
    "JPEG": ("image/jpeg", "jpg", {"quality": 85}),
    "WEBP": ("image/webp", "webp", {"quality": 85}),
}


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int


def image_process(upload) -> ProcessedImage:
    """Validate an uploaded file and return its clean re-encoding, or raise ValidationError."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > MAX_BYTES:
        raise ValidationError(
            "This image is larger than 10 MB. Please attach a smaller screenshot.",
            code="too_large",
        )
    if size == 0:
        raise ValidationError("This file is empty.", code="empty")
    upload.seek(0)
    raw = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                image_format = probe.format
                width, height = probe.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_an_image() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    if image_format not in ACCEPTED_FORMATS:
        raise _not_an_image()
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if width * height > PIXELS_ANY_FILE_SIZE and width * height > size * MAX_PIXELS_PER_BYTE:
        raise ValidationError(
            "This image is too large in pixels for its file size (it is almost empty). Please "
            "attach the screenshot as your device saved it, or a cropped one.",
            code="too_sparse",
        )
    content_type, extension, options = ACCEPTED_FORMATS[image_format]
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.load()  # a truncated file fails here, not later
            ImageOps.exif_transpose(image, in_place=True)  # no second full-size copy
            clean = _without_metadata(image, image_format)
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            "This image appears to be damaged or incomplete. Please attach it again.",
            code="damaged",
        ) from None
    thumbnail = _thumbnail(clean)
    return ProcessedImage(
        content=_encode(clean, image_format, options),
        thumbnail=_encode(thumbnail, image_format, options),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


def images_total_pixels_check(uploads) -> None:
    """Refuse, from the headers alone, screenshots adding up to more than MAX_SUBMISSION_PIXELS.

    A file whose header cannot be read counts for nothing here: image_process names it.
    """
    total = 0
    for upload in uploads:
        try:
            upload.seek(0)
            with Image.open(upload) as probe:
                width, height = probe.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            continue
        except Image.DecompressionBombError:
            continue
        total += width * height
    if total > MAX_SUBMISSION_PIXELS:
        raise ValidationError(
            "Together, these screenshots have too many pixels (at most 40 megapixels in all). "
            "Please attach fewer or smaller screenshots.",
            code="too_many_pixels_in_all",
        )


def _thumbnail(image: Image.Image) -> Image.Image:
    """A THUMBNAIL_SIZE copy, shrunk by whole factors first so no full-size copy is made."""
    factor = max(
        1, min(image.width // (2 * THUMBNAIL_SIZE[0]), image.height // (2 * THUMBNAIL_SIZE[1]))
    )
    thumbnail = image.reduce(factor) if factor > 1 else image.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return thumbnail


def _without_metadata(image: Image.Image, image_format: str) -> Image.Image:
    """A fresh image holding only the pixels: no EXIF, ICC text chunks or comments."""
    mode = image.mode
    if image_format == "JPEG" and mode not in ("RGB", "L"):
        mode = "RGB"
    elif mode not in ("RGB", "RGBA", "L", "LA"):
        mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
    source = image.convert(mode) if image.mode != mode else image
    clean = Image.new(mode, source.size)
    clean.paste(source)
    return clean


def _encode(image: Image.Image, image_format: str, options: dict) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _not_an_image() -> ValidationError:
    return ValidationError(
        "This file is not a PNG, JPEG or WebP image. Please attach a screenshot in one of "
        "those formats.",
        code="invalid_image",
    )


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        "This image has too many pixels (at most 40 megapixels). Please attach a smaller "
        "screenshot.",
        code="too_many_pixels",
    )


def screenshot_response(screenshot, *, thumbnail: bool = False) -> HttpResponse:
    """Serve a stored screenshot to a viewer the caller has already authorised.

    Local files stream through Django; object storage answers with a redirect to a short-lived
    signed URL of the private object. Never cached by shared caches, never sniffed.
    """
    field = screenshot.thumbnail if thumbnail else screenshot.image
    storage = field.storage
    if isinstance(storage, FileSystemStorage):
        response: HttpResponse = FileResponse(
            field.open("rb"), content_type=screenshot.content_type
        )
        response["Cache-Control"] = "private, max-age=300"
    else:
        response = HttpResponseRedirect(field.url)  # signed, expires (AWS_QUERYSTRING_EXPIRE)
        # A cached redirect would outlive the signed URL it points to (broken images).
        response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


class ScreenshotStorageError(Exception):
    """A screenshot file could not be written (disk, permissions, object storage down)."""


def screenshot_store(
    *, shot: ScreenshotFiles, image: ProcessedImage, stored: list[str]
) -> ScreenshotFiles:
    """Fill and save a screenshot row (a report's or an appeal's) from a processed image, its
    files under generated names; `stored` collects the names written so the caller can remove
    them if its transaction fails (see screenshot_files_kept_with_rows)."""
    shot.content_type = image.content_type
    shot.width = image.width
    shot.height = image.height
    shot.size = len(image.content)
    try:
        shot.image.save(f"image.{image.extension}", ContentFile(image.content), save=False)
        stored.append(shot.image.name)
        shot.thumbnail.save(f"thumb.{image.extension}", ContentFile(image.thumbnail), save=False)
        stored.append(shot.thumbnail.name)
    except Exception as error:  # each backend fails its own way (OSError, botocore, ...)
        raise ScreenshotStorageError(f"Could not store a screenshot: {error}") from error
    shot.save()
    return shot


def screenshots_delete_files(names: Sequence[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # the storage may be the thing that failed: log, never mask
            logger.exception("Could not delete orphan screenshot file %s", name)


@contextmanager
def screenshot_files_kept_with_rows() -> Iterator[list[str]]:
    """All or nothing for files: yields the list screenshot_store fills; if the block raises
    anything (its transaction, inside the block, rolled the rows back), removes those files
    and re-raises, so no file outlives the row that named it."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        screenshots_delete_files(stored)
        raise
