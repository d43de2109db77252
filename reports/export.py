"""The User reports list as CSV: the columns read, the rows in the list's order, the writer.

The columns read (EXPORT_FIELDS) and the columns written (export_csv_lines) sit together, so
one cannot change without the other in sight.
"""

import csv
from collections.abc import Iterable, Iterator, Mapping
from datetime import tzinfo

from django.contrib.auth.models import AbstractBaseUser

from .models import Category, MiniApp, Status
from .selectors import report_filter
from .timeformat import when_stamp

EXPORT_FIELDS = (
    "report_id",
    "open_id",
    "category",
    "issue_type__name",
    "details",
    "created_at",
    "order_id",
    "status",
    "past_due_at",
    "handled_by__username",
    "handled_at",
    "notes",
    "contact_email",
)


def reports_for_export(
    *, mini_app: MiniApp, params: Mapping, user: AbstractBaseUser | None = None
) -> Iterator[tuple]:
    """Rows of the current filtered list, in its order, read in chunks (a server-side cursor on

    PostgreSQL), so a million rows never sit in memory at once.
    """
    filterset = report_filter(mini_app=mini_app, params=params, user=user)
    queryset = filterset.qs.values_list(*EXPORT_FIELDS)
    return queryset.iterator(chunk_size=2000)


class _Echo:
    def write(self, value: str) -> str:
        return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def export_csv_lines(rows: Iterable[tuple], zone: tzinfo) -> Iterator[str]:
    """The CSV of reports_for_export's rows: a header, then one line per report."""
    writer = csv.writer(_Echo())
    index = {name: i for i, name in enumerate(EXPORT_FIELDS)}
    categories, statuses = dict(Category.choices), dict(Status.choices)
    zone_name = str(zone)
    yield "\ufeff"  # so spreadsheet programs read UTF-8
    yield writer.writerow(
        [
            "Report ID",
            "Open ID",
            "Category",
            "Issue type",
            "Report details",
            "Report time (UTC)",
            f"Report time ({zone_name})",
            "Order ID",
            "Status",
            "Past due",
            "Handled by",
            "Handled at (UTC)",
            "Notes",
            "Contact e-mail",
        ]
    )

    for row in rows:
        created = row[index["created_at"]]
        yield writer.writerow(
            [
                csv_safe(cell)
                for cell in (
                    row[index["report_id"]],
                    row[index["open_id"]],
                    categories.get(row[index["category"]], row[index["category"]]),
                    row[index["issue_type__name"]],
                    row[index["details"]],
                    when_stamp(created),
                    when_stamp(created, zone),
                    row[index["order_id"]],
                    statuses.get(row[index["status"]], row[index["status"]]),
                    "yes" if row[index["past_due_at"]] else "no",
                    row[index["handled_by__username"]],
                    when_stamp(row[index["handled_at"]]),
                    row[index["notes"]],
                    row[index["contact_email"]],
                )
            ]
        )
