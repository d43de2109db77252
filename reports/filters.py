"""ReportFilter: the User reports list's search box, filters, status tabs and sortable columns.

All list state lives in the query string, so every view of the list is a shareable link.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from .models import Category, IssueType, Report, Status
from .search import details_q


class StatusTab:
    """Values of the `status` parameter; PAST_DUE means pending and already late."""

    ALL = ""
    PENDING = Status.PENDING.value
    PAST_DUE = "past_due"
    RESOLVED = Status.RESOLVED.value
    DISMISSED = Status.DISMISSED.value

    CHOICES = [
        (PENDING, "Pending"),
        (PAST_DUE, "Past due"),
        (RESOLVED, "Resolved"),
        (DISMISSED, "Dismissed"),
    ]


def status_tab_q(value: str) -> Q:
    if value == StatusTab.PAST_DUE:
        return Q(status=Status.PENDING, past_due_at__isnull=False)
    return Q(status=value)


def status_tabs_of(report: Report) -> tuple[str, ...]:
    """The tabs besides All that count a report in hand: status_tab_q's rule, in Python."""
    if report.status == Status.PENDING and report.past_due_at is not None:
        return (report.status, StatusTab.PAST_DUE)
    return (report.status,)


@dataclass(frozen=True)
class SortColumn:
    """One sortable column of the list, described once."""

    label: str
    keys: tuple[str, ...]  # the key columns, before the id tie-breaker
    field: str  # the model field django-filter's OrderingFilter names it by
    first_direction: str = ""  # the first click sorts in its most useful direction: "-" or ""
    handled_last: bool = False  # handled reports after the pending ones, in both directions


# Sortable columns, by `ordering` value. Every key runs in one direction, so keyset pagination
# is a single row comparison that the composite indexes (see the migrations) answer directly.
SORT_COLUMNS: dict[str, SortColumn] = {
    "time": SortColumn("Report time", ("created_at",), "created_at", first_direction="-"),
    "status": SortColumn("Status", ("status", "created_at"), "status"),
    "issue_type": SortColumn("Issue type", ("issue_type_id", "created_at"), "issue_type"),
    "time_left": SortColumn("Time left", ("due_at",), "due_at", handled_last=True),
}
SORT_KEYS = {name: column.keys for name, column in SORT_COLUMNS.items()}
SORT_LABELS = {name: column.label for name, column in SORT_COLUMNS.items()}
DEFAULT_SORT = "-time"


# "Time left" means nothing once a report is handled, so handled reports come after the pending
# ones in both directions (as nulls last). A leading flag keeps every key in one direction, so
# the keyset stays one row comparison: (handled?, due) ascending, (pending?, due) descending.
SORT_FLAGS = {
    "sort_handled": ExpressionWrapper(Q(handled_at__isnull=False), output_field=BooleanField()),
    "sort_pending": ExpressionWrapper(Q(handled_at__isnull=True), output_field=BooleanField()),
}
HANDLED_LAST = {name for name, column in SORT_COLUMNS.items() if column.handled_last}


def sort_columns(sort: str) -> tuple[tuple[str, ...], bool]:
    """(key columns including the id tie-breaker, descending?) for an `ordering` value.

    A column may be one of SORT_FLAGS: with_sort_flags() adds it to the queryset."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in SORT_KEYS:
        name, descending = DEFAULT_SORT.lstrip("-"), True
    flags = ("sort_pending" if descending else "sort_handled",) if name in HANDLED_LAST else ()
    return (*flags, *SORT_KEYS[name], "id"), descending


def with_sort_flags(queryset: QuerySet, columns: tuple[str, ...]) -> QuerySet:
    return queryset.annotate(**{c: SORT_FLAGS[c] for c in columns if c in SORT_FLAGS})


def order_by_sort(queryset: QuerySet, sort: str, *, backwards: bool = False) -> QuerySet:
    """The list's order for `sort`, or exactly its reverse (to walk to the previous page)."""
    columns, descending = sort_columns(sort)
    descending = descending != backwards
    queryset = with_sort_flags(queryset, columns)
    return queryset.order_by(*[f"-{c}" if descending else c for c in columns])


class ReportOrderingFilter(django_filters.OrderingFilter):
    """Column sorting, with the tie-breakers keyset pagination needs."""

    def filter(self, qs, value):
        sort = value[0] if value else DEFAULT_SORT
        return order_by_sort(qs, sort)


def exact_q(text: str) -> Q | None:
    """Report ID, Open ID or order ID, exactly (IDs hold no spaces)."""
    if not text or any(ch.isspace() for ch in text):
        return None
    return Q(report_id=text.upper()) | Q(open_id=text) | Q(order_id=text)


EXACT_MATCH_LIMIT = 500


class ReportFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("reported_from"), data.get("reported_to")
        if start and end and start > end:
            raise forms.ValidationError(
                "The “From” date is after the “To” date. Pick a start date on or before the end."
            )
        return data


def issue_type_choices(issue_types: Iterable[IssueType]) -> list:
    """Grouped by category, in catalogue order."""
    groups: dict[str, list] = {value: [] for value in Category.values}
    for issue_type in issue_types:
        groups[issue_type.category].append((issue_type.code, issue_type.name))
    return [(Category(value).label, entries) for value, entries in groups.items()]


# The assignee filter's fixed values; a member is chosen by their user id.
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
ASSIGNEE_FIXED_CHOICES = [(ASSIGNEE_ME, "Assigned to me"), (ASSIGNEE_NONE, "Unassigned")]

PAST_DUE_CHOICES = [("true", "Past due only"), ("false", "Not past due")]
REPORTER_REPLIED_CHOICES = [("true", "Reporter replied (not answered yet)")]


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, as UTC: PostgreSQL refuses offsets beyond ±15:59 that Python and
    ISO 8601 allow (a 500, found by Schemathesis), and UTC has none."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                "Use a date and time between the years 1 and 9999 (UTC).", code="invalid"
            ) from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class ReportFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Report ID, Open ID, order ID or words of the details",
                "autocomplete": "off",
            }
        ),
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=StatusTab.CHOICES, empty_label="All", method="filter_status"
    )
    category = django_filters.ChoiceFilter(
        label="Category", choices=Category.choices, empty_label="All categories"
    )
    issue_type = django_filters.ChoiceFilter(
        label="Issue type",
        choices=[],  # filled per request from the catalogue, see __init__
        empty_label="All issue types",
        field_name="issue_type_id",
    )
    past_due = django_filters.ChoiceFilter(
        label="Past due", choices=PAST_DUE_CHOICES, empty_label="Any", method="filter_past_due"
    )
    reporter_replied = django_filters.ChoiceFilter(
        label="Reporter replied",
        choices=REPORTER_REPLIED_CHOICES,
        empty_label="Any",
        method="filter_reporter_replied",
    )
    assignee = django_filters.ChoiceFilter(
        label="Assignee",
        choices=[],  # the app's members, filled per request, see __init__
        empty_label="Anyone",
        method="filter_assignee",
    )
    source = django_filters.ChoiceFilter(
        label="Source", choices=Report.Source.choices, empty_label="Any source"
    )
    reported_from = django_filters.DateFilter(
        label="From", method="filter_reported_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    reported_to = django_filters.DateFilter(
        label="To", method="filter_reported_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    # Exact instants (ISO 8601), for the handling API; the console's own are the dates above.
    created_after = UtcIsoDateTimeFilter(
        label="Reported at or after", field_name="created_at", lookup_expr="gte"
    )
    created_before = UtcIsoDateTimeFilter(
        label="Reported before", field_name="created_at", lookup_expr="lt"
    )
    # Exact instants too, for the daily summary e-mail's links (reports/daily_summary.py).
    due_before = UtcIsoDateTimeFilter(label="Due before", field_name="due_at", lookup_expr="lt")
    handled_after = UtcIsoDateTimeFilter(
        label="Handled at or after", field_name="handled_at", lookup_expr="gte"
    )
    handled_before = UtcIsoDateTimeFilter(
        label="Handled before", field_name="handled_at", lookup_expr="lt"
    )
    ordering = ReportOrderingFilter(
        label="Sort by",
        fields={column.field: name for name, column in SORT_COLUMNS.items()},
        field_labels={column.field: column.label for column in SORT_COLUMNS.values()},
    )

    class Meta:
        model = Report
        fields: list[str] = []
        form = ReportFilterForm

    # Set when the search went to the words of the details (not an exact ID match), with the
    # words: the selector picks the word search's plan from them (reports.search).
    words_searched = False
    searched_words = ""

    def __init__(self, *args, members=(), user=None, **kwargs):
        """`members`: the app's members (user objects) the assignee filter offers; `user`:
        whom "Assigned to me" means (None, e.g. an API key: nobody)."""
        super().__init__(*args, **kwargs)
        # One catalogue query per list, shared by validation, the rendered select and the
        # rows' issue types (selectors.with_issue_types, rather than a join per page).
        self.issue_types = {issue_type.code: issue_type for issue_type in IssueType.objects.all()}
        self.filters["issue_type"].extra["choices"] = issue_type_choices(self.issue_types.values())
        self.user = user
        self.filters["assignee"].extra["choices"] = ASSIGNEE_FIXED_CHOICES + [
            (str(member.pk), member.display_name) for member in members
        ]

    def filter_search(self, queryset, name, value):
        """An exact ID match wins (one indexed lookup); otherwise the words of the details.

        Kept apart rather than OR-ed into one query, so each side gets its own index plan.
        """
        text = value.strip()
        if not text:
            return queryset
        exact = self._exact_ids(queryset, text)
        if exact:
            return queryset.filter(pk__in=exact)
        self.words_searched, self.searched_words = True, text
        return queryset.filter(details_q(text))

    def _exact_ids(self, queryset, text: str) -> list[int]:
        condition = exact_q(text)
        if condition is None:
            return []
        cache = self.__dict__.setdefault("_exact_cache", {})
        if text not in cache:
            ids = queryset.filter(condition).order_by().values_list("pk", flat=True)
            cache[text] = list(ids[:EXACT_MATCH_LIMIT])
        return cache[text]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status_tab_q(value))

    def filter_past_due(self, queryset, name, value):
        return queryset.filter(past_due_at__isnull=value != "true")

    def filter_reporter_replied(self, queryset, name, value):
        return queryset.filter(reporter_replied_at__isnull=False)

    def filter_assignee(self, queryset, name, value):
        if value == ASSIGNEE_NONE:
            return queryset.filter(assignee__isnull=True)
        if value == ASSIGNEE_ME:
            user_id = getattr(self.user, "pk", None)
            return queryset.filter(assignee_id=user_id) if user_id else queryset.none()
        return queryset.filter(assignee_id=int(value))

    def filter_reported_from(self, queryset, name, value):
        # Days are the viewer's days: midnight in their timezone (see the timezone middleware).
        start = datetime.combine(value, time.min, tzinfo=timezone.get_current_timezone())
        return queryset.filter(created_at__gte=start)

    def filter_reported_to(self, queryset, name, value):
        end = datetime.combine(
            value + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )
        return queryset.filter(created_at__lt=end)

    @property
    def sort(self) -> str:
        """The effective `ordering` value, e.g. "-time"."""
        self.errors  # noqa: B018 (validates the form, filling cleaned_data)
        value = self.form.cleaned_data.get("ordering")
        sort = value[0] if value else DEFAULT_SORT
        return sort if sort.lstrip("-") in SORT_KEYS else DEFAULT_SORT

    def queryset_without_status(self) -> QuerySet:
        """Every filter but the status: what the status tabs count."""
        queryset = self.queryset.all()
        self.errors  # noqa: B018 (validates the form, filling cleaned_data)
        for name, value in self.form.cleaned_data.items():
            if name not in ("status", "ordering"):
                queryset = self.filters[name].filter(queryset, value)
        return queryset


# The toolbar's filters, in its order, with the labels of their removable chips.
TOOLBAR_FILTERS = {
    "q": "Search",
    "category": "Category",
    "issue_type": "Issue type",
    "reported_from": "From",
    "reported_to": "To",
    "source": "Source",
    "past_due": "Past due",
    "reporter_replied": "Reporter replied",
    "assignee": "Assignee",
}
# Exact instants a link may carry (the handling API's, the daily summary's): shown as chips and
# dropped by "Clear all" like the toolbar's, but not kept by a saved view, where they would go
# stale.
INSTANT_FILTERS = {
    "created_after": "Reported from",
    "created_before": "Reported before",
    "due_before": "Due before",
    "handled_after": "Handled from",
    "handled_before": "Handled before",
}
# The list's own parameters a saved view keeps; paging (after / before) is not a view.
VIEW_PARAMS = ("status", *TOOLBAR_FILTERS, "ordering")
