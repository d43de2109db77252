from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.utils.functional import cached_property

from . import services
from .api_keys.services import api_key_revoke
from .app_settings.services import support_email_verification_send
from .forms import validate_display_name
from .models import (
    ApiKey,
    AppEvent,
    DismissReason,
    Invitation,
    IssueType,
    MemberRole,
    Membership,
    MiniApp,
    OutboundEmail,
    Report,
    ReportEvent,
    Screenshot,
    Status,
)
from .team.services import (
    TeamRuleError,
    member_owner_kept_check,
    member_remove,
    member_role_change,
    mini_app_first_owner_invite,
)
from .webhooks.models import WebhookDelivery, WebhookEndpoint
from .webhooks.services import WebhookRuleError, delivery_resend, endpoint_delete, endpoint_update


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows, so a changelist over millions of reports never scans them all.

    Past the cap the admin shows "10000" results; narrow with filters or search to see more.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP].count()


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class DeletesFilesMixin:
    """Deleting here also removes the screenshot files of everything deleted (records_delete)."""

    def delete_model(self, request, obj) -> None:
        services.records_delete(queryset=type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        services.records_delete(queryset=queryset)


class MembershipInlineFormSet(BaseInlineFormSet):
    """Refuses, with the console's message, removing or demoting the app's last owner: the
    team's own rule (reports.team.services), asked of each row as it is stored."""

    def clean(self) -> None:
        super().clean()
        changing = [f for f in self.forms if f.instance.pk is not None and f.has_changed()]
        if any(f.instance.role == MemberRole.OWNER for f in changing if "role" in f.changed_data):
            return  # someone becomes an owner: the services decide, promotions first
        for form in changing:
            if self._should_delete_form(form) or "role" in form.changed_data:
                stored = Membership.objects.select_related("mini_app").get(pk=form.instance.pk)
                try:
                    member_owner_kept_check(membership=stored)
                except TeamRuleError as refused:
                    raise forms.ValidationError(str(refused)) from None


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "email_past_due", "created_at"]
    readonly_fields = ["created_at"]


class MiniAppAdminForm(forms.ModelForm):
    # Only on the add form (MiniAppAdmin.get_fields): the app starts with its first owner.
    owner_email = forms.EmailField(
        label="First owner's e-mail",
        required=False,
        help_text="Invited by e-mail as the app's owner (the link is valid for 7 days).",
    )

    class Meta:
        model = MiniApp
        # The signing secret is not a form field: it is never shown here in plain text, and
        # owners reveal or rotate it on the console's Settings page (recorded each time).
        fields = ["name", "slug", "support_email", "created_at"]

    def clean_owner_email(self) -> str:
        email = self.cleaned_data.get("owner_email", "")
        if self.instance.pk is None and not email:
            raise forms.ValidationError("Enter the e-mail address of the app's first owner.")
        return email

    def clean_name(self) -> str:
        validate_display_name(self.cleaned_data["name"])
        return self.cleaned_data["name"]


@admin.register(MiniApp)
class MiniAppAdmin(admin.ModelAdmin):
    form = MiniAppAdminForm
    list_display = ["name", "slug", "support_email", "created_at"]
    search_fields = ["name", "slug", "support_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    readonly_fields = [
        "signing_secret_masked",
        "signing_secret_rotated_at",
        "support_email_verified_at",
    ]

    @admin.display(description="signing secret")
    def signing_secret_masked(self, obj: MiniApp) -> str:
        return obj.signing_secret_masked if obj.pk else "Made when the app is saved."

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            fields.remove("owner_email")
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # the first owner comes by invitation

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Removals and role changes through the team's services: under the app's lock, in the
        # audit log, and refused (two owners demoted at once) if no owner would be left.
        memberships = formset.save(commit=False)
        changed = dict(formset.changed_objects)
        # New owners first, so an owner handing over to another in one save keeps the rule.
        for membership in sorted(memberships, key=lambda m: m.role != MemberRole.OWNER):
            fields = set(changed.get(membership, ()))
            if membership.pk is None:
                membership.save()
                continue
            if "role" in fields:
                self._team_change(
                    request, member_role_change, membership=membership, role=membership.role
                )
                fields.discard("role")
            if fields:
                membership.save(update_fields=sorted(fields))
        for membership in formset.deleted_objects:
            self._team_change(request, member_remove, membership=membership)
        return None

    def _team_change(self, request, service, **arguments) -> None:
        try:
            service(actor=request.user, **arguments)
        except TeamRuleError as refused:
            messages.error(request, str(refused))

    def save_model(self, request, obj, form, change) -> None:
        # A new or changed support e-mail is shared with reporters only once verified.
        email_changed = "support_email" in form.changed_data
        if email_changed:
            obj.support_email_verified_at = None
        super().save_model(request, obj, form, change)
        if email_changed:
            if change:
                services.app_event_record(
                    mini_app=obj,
                    kind=AppEvent.Kind.SUPPORT_EMAIL_CHANGED,
                    actor=request.user,
                    before=form.initial.get("support_email", ""),
                    after=obj.support_email,
                )
            support_email_verification_send(mini_app=obj, actor=None)
        if not change:
            invitation = mini_app_first_owner_invite(
                mini_app=obj, owner_email=form.cleaned_data["owner_email"], actor=request.user
            )
            messages.success(request, f"Invitation sent to {invitation.email} as owner.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "mini_app", "role", "email_past_due", "created_at"]
    list_filter = ["mini_app", "role"]
    list_select_related = ["user", "mini_app"]
    search_fields = ["user__username", "user__email", "mini_app__slug"]
    autocomplete_fields = ["user", "mini_app"]


@admin.register(IssueType)
class IssueTypeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The catalogue is fixed (seeded by a migration); reports refer to it."""

    list_display = ["name", "category", "code", "position"]
    list_filter = ["category"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        # The key is text: a NUL from the URL is a database error on PostgreSQL, not a miss.
        if "\x00" in object_id:
            return None
        return super().get_object(request, object_id, from_field)


class ReportEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "data"]
    readonly_fields = fields
    ordering = ["created_at", "id"]


class ScreenshotInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Screenshot
    extra = 0
    can_delete = False
    fields = ["position", "image", "content_type", "width", "height", "size"]
    readonly_fields = fields


class PastDueFilter(admin.SimpleListFilter):
    title = "past due"
    parameter_name = "past_due"

    def lookups(self, request, model_admin):
        return [("yes", "Past due"), ("no", "On time")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(past_due_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(past_due_at__isnull=True)
        return queryset


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reports arrive from the help center and the API and change only through the
    services (the actions below), so every change leaves its history row."""

    list_display = [
        "report_id",
        "mini_app",
        "category",
        "issue_type",
        "status",
        "past_due",
        "created_at",
        "open_id",
        "order_id",
    ]
    list_filter = ["status", "category", PastDueFilter, "source", "mini_app"]
    list_select_related = ["mini_app", "issue_type"]
    date_hierarchy = "created_at"
    search_help_text = "Exact report ID, Open ID or order ID."
    search_fields = ["report_id"]  # shows the box; get_search_results does the matching
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    ordering = ["-created_at", "-id"]
    inlines = [ScreenshotInline, ReportEventInline]
    actions = ["resolve_selected", "dismiss_selected"]

    @admin.display(boolean=True, description="past due")
    def past_due(self, report: Report) -> bool:
        return report.is_past_due

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Exact matches only, each on its own index: a LIKE over millions of rows is not a search.
        term = search_term.strip()
        if not term:
            return queryset, False
        return (
            queryset.filter(Q(report_id=term.upper()) | Q(open_id=term) | Q(order_id=term)),
            False,
        )

    @admin.action(description="Resolve selected pending reports")
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._handle_selected(request, queryset, Status.RESOLVED, done="Resolved")

    @admin.action(description="Dismiss selected pending reports as spam or abuse")
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The installation's moderation tool: spam is what an admin dismisses in bulk.
        spam = services.Dismissal(reason=DismissReason.SPAM)
        self._handle_selected(request, queryset, Status.DISMISSED, done="Dismissed", dismissal=spam)

    def _handle_selected(self, request, queryset, status: str, *, done: str, dismissal=None):
        reports = queryset.select_related("handled_by")
        result = services.reports_bulk_handle(
            reports=reports, actor=request.user, status=status, dismissal=dismissal
        )
        bulk_result_message(self, request, result, done=done, noun="report")


def bulk_result_message(model_admin, request, result, *, done: str, noun: str) -> None:
    """The console's two lines (services.BulkResult.summary), as admin messages."""
    handled, conflicts = result.summary(done=done, noun=noun)
    model_admin.message_user(request, handled, messages.SUCCESS)
    if conflicts:
        model_admin.message_user(request, conflicts, messages.WARNING)


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["report", "actor"]
    search_fields = ["report__report_id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    raw_id_fields = ["report"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the history is the audit trail


@admin.register(Screenshot)
class ScreenshotAdmin(DeletesFilesMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "position", "content_type", "width", "height", "size"]
    list_select_related = ["report"]
    search_fields = ["report__report_id"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "to", "created_at", "sent_at", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Owners invite from the team page; here operators only look (the token is never shown:
    only its hash is stored)."""

    list_display = [
        "email",
        "mini_app",
        "role",
        "sent_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["mini_app", "role"]
    list_select_related = ["mini_app"]
    search_fields = ["email", "mini_app__slug"]
    exclude = ["token_hash"]


@admin.register(AppEvent)
class AppEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The apps' audit logs, as written by the services: never edited."""

    list_display = ["created_at", "mini_app", "kind", "actor"]
    list_filter = ["kind", "mini_app"]
    list_select_related = ["mini_app", "actor"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Owners create keys on the console's Integration page; here an operator can find a key
    by its prefix and revoke it (audited, as from the console). Only the key's hash is stored,
    and it is not shown. Revoked keys stay, so the history can still name them."""

    list_display = [
        "prefix",
        "name",
        "mini_app",
        "scope",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter), "mini_app"]
    list_select_related = ["mini_app"]
    search_fields = ["prefix", "name"]
    exclude = ["key_hash"]
    actions = ["revoke_selected"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        keys = queryset.select_related("mini_app")
        revoked = sum(api_key_revoke(api_key=key, actor=request.user) for key in keys)
        self.message_user(
            request, f"Revoked {revoked} API key{pluralize(revoked)}.", messages.SUCCESS
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Owners add endpoints on the console; here an operator can see which ones fail, turn one
    off, or delete it, through the console's services (each in the app's audit log). The
    signing secret is not shown."""

    list_display = [
        "url",
        "mini_app",
        "enabled",
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "disabled_reason",
    ]
    list_filter = ["enabled", "mini_app"]
    list_select_related = ["mini_app"]
    search_fields = ["url"]
    exclude = ["secret", "previous_secret"]
    actions = ["disable_selected"]

    @admin.action(description="Disable selected webhook endpoints")
    def disable_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        endpoints = list(queryset.filter(enabled=True).select_related("mini_app"))
        for endpoint in endpoints:
            endpoint_update(
                endpoint=endpoint,
                actor=request.user,
                url=endpoint.url,
                event_types=endpoint.event_types,
                enabled=False,
            )
        self.message_user(
            request,
            f"Disabled {len(endpoints)} endpoint{pluralize(len(endpoints))}.",
            messages.SUCCESS,
        )

    def delete_model(self, request, obj) -> None:
        endpoint_delete(endpoint=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for endpoint in queryset.select_related("mini_app"):
            endpoint_delete(endpoint=endpoint, actor=request.user)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every event sent to every endpoint: find one by its webhook-id (what a receiver logs)
    and send it again, as "Resend" does on the console."""

    list_display = [
        "webhook_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    search_help_text = "Exact webhook-id (msg_...)."
    search_fields = ["webhook_id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    raw_id_fields = ["endpoint"]
    actions = ["resend_selected"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        return (queryset.filter(webhook_id=term) if term else queryset), False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the log is what the owner reads back; it goes with its endpoint

    @admin.action(description="Resend selected deliveries")
    def resend_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        resent, refused = 0, []
        for delivery in queryset.select_related("endpoint__mini_app"):
            try:
                delivery_resend(delivery=delivery, actor=request.user)
                resent += 1
            except WebhookRuleError as error:
                refused.append(f"{delivery.webhook_id}: {error}")
        self.message_user(
            request, f"Resent {resent} deliver{pluralize(resent, 'y,ies')}.", messages.SUCCESS
        )
        for line in refused:
            self.message_user(request, line, messages.WARNING)
