from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from reports.admin import (
    CappedCountPaginator,
    DeletesFilesMixin,
    PastDueFilter,
    ReadOnlyAdminMixin,
    bulk_result_message,
)
from reports.models import Status

from . import services
from .models import Appeal, AppealScreenshot


class AppealScreenshotInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AppealScreenshot
    extra = 0
    can_delete = False
    fields = ["position", "image", "content_type", "width", "height", "size"]
    readonly_fields = fields


class AdminDecisionForm(forms.Form):
    """The intermediate page of the Uphold / Overturn actions: the reply the reporter reads."""

    reply = forms.CharField(
        label="Reply to the reporter",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        max_length=5000,
        error_messages={
            "required": "Write a reply to the reporter: they read it with the outcome."
        },
    )
    new_status = forms.ChoiceField(
        label="New status of the report (Overturn only)",
        choices=[
            ("", "The other decision (Resolved becomes Dismissed, Dismissed becomes Resolved)"),
            (Status.RESOLVED, "Resolved"),
            (Status.DISMISSED, "Dismissed"),
            (Status.PENDING, "Pending (reopen it and handle it again)"),
        ],
        required=False,
    )


@admin.register(Appeal)
class AppealAdmin(DeletesFilesMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Appeals arrive from the reporter's form and change only through appeals.services
    (the actions below), so every decision leaves its history row and e-mail."""

    list_display = [
        "report",
        "mini_app",
        "state",
        "appealed_status",
        "past_due",
        "created_at",
        "due_at",
        "decided_at",
    ]
    list_filter = ["state", PastDueFilter, "appealed_status", "mini_app"]
    list_select_related = ["report", "mini_app"]
    search_help_text = "Exact report ID or reporter e-mail."
    search_fields = ["report__report_id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-created_at", "-id"]
    inlines = [AppealScreenshotInline]
    actions = ["uphold_selected", "overturn_selected"]

    @admin.display(boolean=True, description="past due")
    def past_due(self, appeal: Appeal) -> bool:
        return appeal.is_past_due

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        by_report = queryset.filter(report__report_id=term.upper())
        return by_report | queryset.filter(contact_email__iexact=term), False

    @admin.action(description="Uphold selected open appeals (with a reply)")
    def uphold_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, "uphold")

    @admin.action(description="Overturn selected open appeals (with a reply)")
    def overturn_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._decide_selected(request, queryset, "overturn")

    def _decide_selected(self, request: HttpRequest, queryset: QuerySet, decision: str):
        form = AdminDecisionForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "appeals/admin_decide.html",
                {
                    **self.admin_site.each_context(request),
                    "title": f"{decision.title()} appeals",
                    "opts": self.model._meta,
                    "form": form,
                    "decision": decision,
                    "appeals": queryset.select_related("report"),
                    "action": f"{decision}_selected",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        result = services.appeals_bulk_decide(
            appeals=queryset.select_related("report"),
            actor=request.user,
            decision=decision,
            reply=form.cleaned_data["reply"],
            new_status=form.cleaned_data["new_status"],
        )
        done = "Upheld" if decision == "uphold" else "Overturned"
        bulk_result_message(self, request, result, done=done, noun="appeal")
        return None
