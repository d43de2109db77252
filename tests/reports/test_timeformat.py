"""One date and time format (issue #15, item 2): every time the product shows goes through
reports/timeformat.py, in the viewer's timezone and language, with UTC on hover."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from reports.export import export_csv_lines
from reports.templatetags.report_console import local_time, short_duration
from reports.timeformat import when_html, when_stamp, when_text, when_zone_text

ROOT = Path(__file__).resolve().parents[2]
INSTANT = datetime(2026, 12, 4, 17, 44, 5, tzinfo=UTC)


def test_people_read_the_viewers_zone_and_language_with_utc_on_hover():
    with translation.override("en"), timezone.override(ZoneInfo("Asia/Tokyo")):
        assert when_text(INSTANT) == "5 Dec 2026, 02:44"
        assert when_zone_text(INSTANT) == "5 Dec 2026, 02:44 (Asia/Tokyo)"
        html = str(when_html(INSTANT))
        assert local_time(INSTANT) == html  # the console's tag is the same function
    assert html == (
        '<time datetime="2026-12-04T17:44:05+00:00" title="2026-12-04 17:44:05 UTC">'
        "5 Dec 2026, 02:44</time>"
    )
    with translation.override("es"), timezone.override(UTC):
        assert when_text(INSTANT) == "4 Dic 2026, 17:44"
    assert when_text(None) == when_html(None) == when_stamp(None) == ""


def test_the_csv_writes_the_instant_shown_on_hover():
    tokyo = ZoneInfo("Asia/Tokyo")
    row = ("RID", "", "experience", "Crash", "", INSTANT, "", "pending", None, None, None, "", "")
    lines = list(export_csv_lines([row], tokyo))
    assert when_stamp(INSTANT) in lines[2] and when_stamp(INSTANT, tokyo) in lines[2]
    assert when_stamp(INSTANT) in str(when_html(INSTANT))


def test_short_durations_for_the_status_pills():
    assert [short_duration(timedelta(seconds=s)) for s in (30, 3000, 5 * 3600)] == [
        "1 min",
        "50 min",
        "5 h",
    ]
    assert short_duration(timedelta(days=3, hours=4)) == "3 d"


def test_no_template_or_module_formats_a_time_on_its_own():
    """Dates in templates go through `when`, `when_text` or {% local_time %}; Python code
    through reports.timeformat. A |date filter or a strftime of a shown time elsewhere is a
    second format."""
    offenders = []
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix in (".html", ".txt") and re.search(
            r"\|\s*(date|time)\s*:", path.read_text()
        ):
            offenders.append(str(path))
    allowed = {"reports/timeformat.py"}  # file names and the API's ISO 8601 are not shown times
    for app in ("reports", "tickets", "appeals"):
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative in allowed or "migrations" in relative:
                continue
            for line in path.read_text().splitlines():
                if re.search(r'strftime\("%Y-%m-%d %H|:%Y-%m-%d %H', line):
                    offenders.append(f"{relative}: {line.strip()}")
    assert offenders == []
