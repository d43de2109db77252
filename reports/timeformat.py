"""One way to show a time, everywhere (issue #15, item 2): the console's list and panel, the help
center, e-mails, messages and the CSV export all format times here, and only here.

- when_text(value)   "4 Dec 2026, 17:44" in the active timezone (the viewer's on pages, the
                     reporter's in e-mails), month names in the active language: for people.
- when_html(value)   the same words in <time datetime="…Z" title="2026-12-04 17:44:05 UTC">:
                     UTC on hover, the exact instant for machines.
- day_text(value)    "4 Dec 2026": a calendar day (a chart's period, an e-mail's day), the
                     same words as when_text's date.
- when_stamp(value, zone)  "2026-12-04 17:44:05": for the CSV. A spreadsheet reads this as a
                     date and sorts it, where "4 Dec 2026, 17:44" is text in half the locales;
                     it is also the UTC shown on hover, so both ends speak the same instant.

Templates use the {% load timeformat %} filters `when`, `when_text` and `day`, and the console's
{% local_time %} tag, which call these functions.
"""

from datetime import UTC, date, datetime, tzinfo

from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# "4 Dec 2026, 17:44": day first, no a.m./p.m., month names translated with the page's language.
WHEN_FORMAT = "j M Y, H:i"
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


# Month abbreviations by language: translated once per language, not once per time shown.
_MONTHS: dict[str | None, list[str]] = {}


def _month_names() -> list[str]:
    language = translation.get_language()
    months = _MONTHS.get(language)
    if months is None:
        months = _MONTHS[language] = [""] + [str(MONTHS_3[m]).title() for m in range(1, 13)]
    return months


def when_text(value: datetime | None, zone: tzinfo | None = None) -> str:
    """WHEN_FORMAT, written out: dateformat.format() parses the format on every call, ~50 us a
    time, and a list page shows 50 (tests/reports/test_console_speed.py keeps the two equal)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value, zone)
    return f"{day_text(local)}, {local.hour:02d}:{local.minute:02d}"


def day_text(value: date | None) -> str:
    """A calendar day as when_text writes it, without the time (a datetime's own day: the
    caller chooses the timezone)."""
    if not isinstance(value, date):
        return ""
    return f"{value.day} {_month_names()[value.month]} {value.year:04d}"


def when_html(value: datetime | None) -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    utc = value.astimezone(UTC)
    # The ISO and UTC strings are digits and separators only; the words are escaped.
    return mark_safe(  # noqa: S308
        f'<time datetime="{utc.isoformat()}" title="{when_stamp(utc)} UTC">'
        f"{escape(when_text(value))}</time>"
    )


def when_stamp(value: datetime | None, zone: tzinfo = UTC) -> str:
    if not isinstance(value, datetime):
        return ""
    return value.astimezone(zone).strftime(STAMP_FORMAT)


def api_time(value: datetime | None) -> str | None:
    """An instant as the APIs, webhooks and e-mail links write it: ISO 8601 in UTC, with "Z"."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def when_zone_text(value: datetime | None) -> str:
    """when_text with the zone's name, for a sentence read outside the page's timezone note
    (a conflict message, a flash message): "4 Dec 2026, 17:44 (Asia/Tokyo)"."""
    if not isinstance(value, datetime):
        return ""
    return f"{when_text(value)} ({timezone.get_current_timezone_name()})"
