"""Benchmark the screenshot pipeline: the cost of one submission's screenshots.

Each case runs in a fresh subprocess (so peak RSS belongs to that case alone) and cleans the
files exactly as the help center's form does (reports.forms.ScreenshotsField), printing the
outcome, the wall time, the peak RSS of the process and how much of it the clean added
(0 when the clean stayed below the peak Django's start-up had already reached).

Cases: three 8000 x 5000 RGBA PNGs of zeros (~150 KB each: the "image bomb" inside the
40-megapixel limit), one of them alone, the worst the rules accept (three 13-megapixel zero
PNGs padded to one byte per 32 pixels: 40 megapixels for 1.25 MB) and one normal 1170 x 2532
phone screenshot (cards, rows of "text" and a photo, ~1.5 MB). Target: a submission's cost
follows its bytes; the zero PNGs are refused in milliseconds, the phone screenshot is accepted
as before. CPU time is printed beside wall time: on a shared machine it is the steadier figure.
"""

import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def zero_png(size=(8000, 5000)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def phone_screenshot(size=(1170, 2532)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (245, 245, 247))
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    for top in range(0, size[1], 90):  # rows of "text" and coloured cards, like a real app
        draw.rectangle((40, top + 10, size[0] - 40, top + 80), fill=(255, 255, 255))
        for left in range(60, size[0] - 100, 24):
            shade = rng.randrange(20, 120)
            draw.rectangle((left, top + 30, left + rng.randrange(8, 20), top + 50), fill=shade)
    photo = Image.effect_noise((size[0], 500), 60).convert("RGB")
    image.paste(photo, (0, 600))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def padded_zero_png(size=(4000, 3333)) -> bytes:
    # The worst the rules accept: zeros, padded (after IEND) to one byte per 32 pixels.
    content = zero_png(size)
    return content + b"\0" * (size[0] * size[1] // 32 - len(content) + 1)


CASES = {
    "3 x 8000x5000 RGBA zero PNGs": lambda: [zero_png()] * 3,
    "1 x 8000x5000 RGBA zero PNG": lambda: [zero_png()],
    "3 x 4000x3333 zero PNGs, padded": lambda: [padded_zero_png()] * 3,
    "1 x 1170x2532 phone screenshot": lambda: [phone_screenshot()],
}


def run_case(name: str, directory: Path) -> dict:
    """In the child: read the case's files, then time one clean of the screenshots field."""
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reports.forms import ScreenshotsField

    files = [path.read_bytes() for path in sorted(directory.glob("*.png"))]
    uploads = [
        SimpleUploadedFile(f"shot{i}.png", content, content_type="image/png")
        for i, content in enumerate(files)
    ]
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        processed = ScreenshotsField().clean(uploads)
        outcome = f"accepted ({len(processed)} re-encoded)"
    except ValidationError as error:
        outcome = "refused: " + error.messages[0][:90]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "bytes": sum(len(content) for content in files),
        "outcome": outcome,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": peak_kb / 1024,
        "added_rss_mb": (peak_kb - baseline_kb) / 1024,
    }


def main() -> int:
    print(f"{'case':36} {'bytes':>9} {'time':>8} {'cpu':>7} {'peak RSS':>9} {'added':>8}  outcome")
    for name, build in CASES.items():
        with tempfile.TemporaryDirectory() as directory:
            for i, content in enumerate(build()):
                (Path(directory) / f"shot{i}.png").write_bytes(content)
            child = subprocess.run(
                [sys.executable, __file__, name, directory],
                capture_output=True,
                text=True,
                check=False,
            )
        if child.returncode != 0:
            print(f"{name}: failed\n{child.stderr}")
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{name:36} {result['bytes']:>9,} {result['seconds']:>7.3f}s "
            f"{result['cpu_seconds']:>6.3f}s {result['peak_rss_mb']:>7.0f}MB "
            f"{result['added_rss_mb']:>6.0f}MB  "
            f"{result['outcome']}"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(run_case(sys.argv[1], Path(sys.argv[2]))))
    else:
        sys.exit(main())
