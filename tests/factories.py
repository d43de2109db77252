"""Small builders for test data: real images, uploads, catalogue lookups."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reports.models import IssueType


def issue_type(code: str) -> IssueType:
    return IssueType.objects.get(code=code)


def png_bytes(size=(64, 48), color=(200, 30, 30), image_format="PNG", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format, **save)
    return buffer.getvalue()


def upload(content: bytes, name="shot.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
