"""The appeals queue's search, filters and sortable columns (all in the query string)."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from reports.models import Report, Status

from .models import Appeal


class AppealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "id_q_helptext"}),
        help_text="Report ID, order ID, e-mail address, or words from the reason.",
    )
    state = django_filters.ChoiceFilter(
        label="Appeal status", choices=Appeal.State.choices, empty_label="Any status"
    )
    appealed_status = django_filters.ChoiceFilter(
        label="Decision appealed",
        choices=[(Status.RESOLVED, "Resolved"), (Status.DISMISSED, "Dismissed")],
        empty_label="Any decision",
    )
    past_due = django_filters.ChoiceFilter(
        label="Past due",
        choices=[("yes", "Past due"), ("no", "On time")],
        empty_label="Past due or not",
        method="filter_past_due",
    )
    o = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("created_at", "created"), ("due_at", "due"), ("decided_at", "decided")),
        field_labels={
            "created": "Appeal time",
            "due": "Due",
            "decided": "Decided",
        },
        empty_label="Open first, oldest first",
    )

    class Meta:
        model = Appeal
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = value.strip()
        if not term:
            return queryset
        # Report ID and order ID through their own indexes (a subquery, not an OR across a
        # join, which would scan every report); the reason by words, within this app only.
        reports = Report.objects.filter(Q(report_id=term.upper()) | Q(order_id=term))
        return queryset.filter(
            Q(report__in=reports.values("pk"))
            | Q(contact_email__iexact=term)
            | Q(reason__icontains=term)
        )

    def filter_past_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(past_due_at__isnull=False)
        if value == "no":
            return queryset.filter(past_due_at__isnull=True)
        return queryset
