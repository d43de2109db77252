"""The shared schema: tenants, their developers, the issue-type catalogue and the reports."""

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.lookups import StartsWith
from django.urls import reverse
from django.utils import timezone

# Report IDs are read aloud and typed from screenshots: no 0/O, 1/I/L or U.
REPORT_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REPORT_ID_LENGTH = 10  # 30**10 ~ 5.9e14 possibilities: unguessable, still short.


def new_report_id() -> str:
    return "".join(secrets.choice(REPORT_ID_ALPHABET) for _ in range(REPORT_ID_LENGTH))


def new_access_key() -> str:
    return secrets.token_urlsafe(24)


def new_signing_secret() -> str:
    return secrets.token_hex(32)


def member_name(user) -> str:
    """How the console names a member: their full name, else their username (an e-mail)."""
    return (user.get_full_name() or "").strip() or user.get_username()


def mask_secret(value: str) -> str:
    return f"••••••••{value[-4:]}" if value else ""


class Category(models.TextChoices):
    # The values are the URL slugs of the help-center forms (/help/<app>/new/<category>/).
    EXPERIENCE = "experience", "Experience and usage"
    PAYMENT = "payment", "Payment and orders"
    COMMUNITY = "community", "Community Guidelines violation"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


class DismissReason(models.TextChoices):
    # Told to the reporter in their language (the labels are in the message catalogues).
    NOT_REPRODUCIBLE = "not_reproducible", "Not reproducible"
    NOT_THIS_APP = "not_this_app", "Not about this mini app"
    DUPLICATE = "duplicate", "Duplicate of another report"
    SPAM = "spam", "Spam or abuse"
    NOT_ENOUGH_INFORMATION = "not_enough_information", "Not enough information"
    OTHER = "other", "Other"


class MemberRole(models.TextChoices):
    # Everything, plus the team, the app's settings, secrets, webhooks and API keys.
    OWNER = "owner", "Owner"
    # Handles reports and appeals, replies, writes notes.
    HANDLER = "handler", "Handler"
    # Reads everything of the app, changes nothing.
    VIEWER = "viewer", "Viewer"


# Who may do what; reports.roles.role_require checks these in every service that changes state.
HANDLING_ROLES = frozenset({MemberRole.OWNER, MemberRole.HANDLER})
MANAGING_ROLES = frozenset({MemberRole.OWNER})


class MiniApp(models.Model):
    """A tenant: one mini app, its developers and its reports."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    support_email = models.EmailField(
        help_text="Shared with a reporter who appeals a payment report."
    )
    signing_secret = models.CharField(
        max_length=128,
        default=new_signing_secret,
        help_text="Signs Open ID links and API requests. Keep it on the mini app's server.",
    )
    # After a rotation the previous secret still signs for SECRET_GRACE (reports.signing).
    previous_signing_secret = models.CharField(max_length=128, blank=True, editable=False)
    signing_secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The support e-mail is shared with reporters only once someone proved they read it.
    support_email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # SHA-256 of the single-use verification link's token (the token itself is only e-mailed).
    support_email_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    support_email_token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="mini_apps"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "mini app"

    def __str__(self) -> str:
        return self.name

    @property
    def support_email_shared(self) -> str:
        """The address reporters may see: the support e-mail once verified, else ""."""
        return self.support_email if self.support_email_verified_at else ""

    @property
    def signing_secret_masked(self) -> str:
        # The last 4 characters, so a developer can tell which secret their server holds.
        return mask_secret(self.signing_secret)

    # The selectors that fetch an app for one member annotate their role (member_role); the
    # templates ask these to show or hide the buttons that the services would refuse anyway.
    @property
    def member_can_handle(self) -> bool:
        return getattr(self, "member_role", None) in HANDLING_ROLES

    @property
    def member_is_owner(self) -> bool:
        return getattr(self, "member_role", None) in MANAGING_ROLES


class Membership(models.Model):
    """A developer's place in a mini app: their role, and their e-mail reminder choices."""

    Role = MemberRole

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.HANDLER)
    email_past_due = models.BooleanField("e-mail me when reports become past due", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mini_app", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=MemberRole.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.mini_app}"


DAILY_SUMMARY_DEFAULT_HOUR = 8


class MemberPreferences(models.Model):
    """A developer's own settings across all their mini apps: their timezone, and when (and
    whether) they get the daily summary e-mail. No row means the defaults: on, 08:00 UTC."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="member_preferences",
    )
    # An IANA name (reports.middleware.timezone_names); set from the console's timezone picker
    # and the notifications page. The daily summary's day and hour are this zone's.
    timezone_name = models.CharField("timezone", max_length=64, default="UTC")
    daily_summary = models.BooleanField("e-mail me a daily summary", default=True)
    daily_summary_hour = models.PositiveSmallIntegerField(default=DAILY_SUMMARY_DEFAULT_HOUR)

    class Meta:
        verbose_name_plural = "member preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_summary_hour__gte=0, daily_summary_hour__lte=23),
                name="member_preferences_hour_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


class DailySummary(models.Model):
    """The daily summary sent to a developer for one day of theirs (in their timezone).

    Written in the same transaction as its outbox row: the unique (user, local_date) makes it
    one e-mail per developer per day, whatever the retries or concurrent runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_summaries"
    )
    local_date = models.DateField()
    timezone_name = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index of the beat task's "already sent today?" lookup.
            models.UniqueConstraint(fields=["user", "local_date"], name="daily_summary_once"),
        ]

    def __str__(self) -> str:
        return f"Daily summary for {self.user} on {self.local_date}"


class IssueType(models.Model):
    """One entry of a category's list. The key is "<category>.<slug>", e.g. "payment.refund",

    which lets the database itself check that a report's issue type is of its category.
    """

    code = models.CharField(max_length=40, primary_key=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["category", "position"]
        constraints = [
            models.UniqueConstraint(fields=["category", "position"], name="issuetype_position"),
            models.CheckConstraint(
                condition=Q(
                    *[Q(category=value, code__startswith=f"{value}.") for value in Category.values],
                    _connector=Q.OR,
                ),
                name="issuetype_code_in_category",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _issue_type_matches_category() -> Q:
    # A lookup expression on the FK column itself, so no join is involved.
    return Q(
        *[
            Q(category=value) & Q(StartsWith(F("issue_type_id"), Value(f"{value}.")))
            for value in Category.values
        ],
        _connector=Q.OR,
    )


class Report(models.Model):
    """A user report ("ticket"). State changes go through reports.services, never save()."""

    class Source(models.TextChoices):
        HELP_CENTER = "web", "Help center"
        API = "api", "In-app API"
        # The Integration page's "Send a test report": a real report, marked as a test.
        CONSOLE_TEST = "test", "Test from the console"

    # Every index on this table is rewritten by each non-HOT update (the past-due job updates
    # 100,000s of rows at once), so no index is kept that another one already covers:
    # report_id is unique through a constraint (no extra LIKE index on PostgreSQL), and the
    # foreign keys are served by the composite indexes that start with them.
    report_id = models.CharField("report ID", max_length=16, default=new_report_id)
    mini_app = models.ForeignKey(
        MiniApp, on_delete=models.CASCADE, related_name="reports", db_index=False
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    issue_type = models.ForeignKey(
        IssueType,
        on_delete=models.PROTECT,
        related_name="+",
        db_column="issue_type",
        db_index=False,  # the catalogue is fixed; report_app_type serves the filter and sort
    )
    details = models.TextField("report details", blank=True, max_length=5000)
    order_id = models.CharField("order ID", max_length=64, blank=True)
    contact_email = models.EmailField("contact e-mail", blank=True)
    open_id = models.CharField(
        "Open ID",
        max_length=128,
        blank=True,
        help_text="Empty when the reporter was not signed in to the mini app.",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.HELP_CENTER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("report time", default=timezone.now)
    due_at = models.DateTimeField("due")
    past_due_at = models.DateTimeField(
        "marked past due", null=True, blank=True, help_text="Stays set if handled late."
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(blank=True, max_length=20000)
    # Bumped by every change; a write based on an older version is refused (no lost updates).
    version = models.PositiveIntegerField(default=1)
    # The reporter's secret for the status page (/help/<app>/tickets/<id>/?key=...).
    access_key = models.CharField(max_length=64, default=new_access_key, editable=False)
    # One-time token of the form (or API idempotency key): a resubmit finds the same report.
    submission_key = models.CharField(max_length=64, blank=True, editable=False)
    # SHA-256 of what an API request with an Idempotency-Key asked for: the key reused for
    # anything else is refused (422) instead of silently answered with this report.
    submission_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Reminder e-mails already sent for this report, so a retried task never sends twice.
    past_due_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the reporter's e-mails are written in (their language at submission, their zone).
    reporter_language = models.CharField(max_length=10, blank=True, editable=False)
    reporter_timezone = models.CharField(max_length=64, blank=True, editable=False)
    # Why a dismissed report was dismissed, as the reporter is told. Empty for a report that is
    # not dismissed, and for one dismissed on appeal (the appeal's reply says why).
    dismiss_reason = models.CharField(max_length=30, choices=DismissReason.choices, blank=True)
    dismiss_reason_text = models.CharField(
        "reason, in the team's words", max_length=500, blank=True
    )
    duplicate_of = models.CharField("duplicate of report", max_length=16, blank=True)
    # The reporter added information the team has not answered yet (a reply, a decision or a
    # reopen clears it): the list's "Reporter replied" flag and filter.
    reporter_replied_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who handles it: an owner or handler of the app (reports.services.report_assign), or
    # nobody. Served by report_app_assignee; no index of its own (see the note above).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="report_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="report_status_valid"
            ),
            models.CheckConstraint(
                condition=_issue_type_matches_category(), name="report_issue_type_in_category"
            ),
            models.CheckConstraint(
                condition=~Q(category=Category.PAYMENT) | ~Q(order_id=""),
                name="report_payment_has_order_id",
            ),
            models.CheckConstraint(
                condition=~Q(category=Category.COMMUNITY) | Q(details=""),
                name="report_community_has_no_details",
            ),
            models.CheckConstraint(
                condition=Q(category=Category.COMMUNITY) | ~Q(details=""),
                name="report_details_required",
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.PENDING, handled_at__isnull=True))
                | (~Q(status=Status.PENDING) & Q(handled_at__isnull=False)),
                name="report_handled_at_matches_status",
            ),
            models.CheckConstraint(condition=Q(due_at__gt=F("created_at")), name="report_due"),
            models.CheckConstraint(
                condition=Q(dismiss_reason="")
                | Q(status=Status.DISMISSED, dismiss_reason__in=DismissReason.values),
                name="report_dismiss_reason_when_dismissed",
            ),
            models.CheckConstraint(
                condition=~Q(dismiss_reason=DismissReason.OTHER) | ~Q(dismiss_reason_text=""),
                name="report_other_reason_has_text",
            ),
            models.CheckConstraint(
                condition=Q(dismiss_reason=DismissReason.DUPLICATE, duplicate_of__gt="")
                | (~Q(dismiss_reason=DismissReason.DUPLICATE) & Q(duplicate_of="")),
                name="report_duplicate_names_report",
            ),
            models.UniqueConstraint(fields=["report_id"], name="report_id_unique"),
            models.UniqueConstraint(
                fields=["mini_app", "submission_key"],
                condition=~Q(submission_key=""),
                name="report_submission_key_unique",
            ),
        ]
        indexes = [
            # The User reports list: one app, newest first (the default sort and its pages).
            models.Index(fields=["mini_app", "-created_at", "-id"], name="report_app_time"),
            # The past-due job: pending, not yet marked, by deadline.
            models.Index(
                fields=["due_at"],
                condition=Q(status=Status.PENDING, past_due_at__isnull=True),
                name="report_due_unmarked",
            ),
            # Exact search by Open ID or order ID (console search box, admin search).
            models.Index(fields=["open_id"], condition=~Q(open_id=""), name="report_open_id"),
            models.Index(fields=["order_id"], condition=~Q(order_id=""), name="report_order_id"),
            # The past-due job's history rows: the reports one run marked (past_due_at = now).
            models.Index(
                fields=["past_due_at"],
                condition=Q(past_due_at__isnull=False),
                name="report_marked_past_due",
            ),
            # Console list, keyset pages (filters.SORT_KEYS): a status tab in report-time order,
            # and the Status sort.
            models.Index(
                fields=["mini_app", "status", "created_at", "id"], name="report_app_status"
            ),
            # Console list: the Issue type sort and the issue-type filter.
            models.Index(
                fields=["mini_app", "issue_type", "created_at", "id"], name="report_app_type"
            ),
            # Console list: the category filter, and the category filter within a status tab
            # (its page and its bounded tab counts, read from the index alone).
            models.Index(
                fields=["mini_app", "category", "created_at", "id"], name="report_app_category"
            ),
            models.Index(
                fields=["mini_app", "category", "status", "created_at", "id"],
                name="report_app_category_status",
            ),
            # Console list: the Time left sort, pending reports first (reports.filters.SORT_FLAGS):
            # ascending reads the first forwards, descending the second backwards.
            models.Index(
                F("mini_app"),
                models.ExpressionWrapper(
                    Q(handled_at__isnull=False), output_field=models.BooleanField()
                ),
                F("due_at"),
                F("id"),
                name="report_app_handled_due",
            ),
            models.Index(
                F("mini_app"),
                models.ExpressionWrapper(
                    Q(handled_at__isnull=True), output_field=models.BooleanField()
                ),
                F("due_at"),
                F("id"),
                name="report_app_pending_due",
            ),
            models.Index(
                fields=["mini_app", "status", "due_at", "id"], name="report_app_status_due"
            ),
            # Console list: the Past due tab (pending and marked), newest first; its count under
            # a category or issue-type filter reads the included columns, not the table.
            models.Index(
                fields=["mini_app", "created_at", "id"],
                include=["category", "issue_type"],
                condition=Q(status=Status.PENDING, past_due_at__isnull=False),
                name="report_app_late",
            ),
            # Console list: the past-due filter with an issue type and dates (all statuses),
            # newest first; its tab counts read the included status, not the table.
            models.Index(
                fields=["mini_app", "issue_type", "created_at", "id"],
                include=["status"],
                condition=Q(past_due_at__isnull=False),
                name="report_app_type_late",
            ),
            # Console list: the "Reporter replied" filter, newest first (few rows at a time).
            models.Index(
                fields=["mini_app", "created_at", "id"],
                condition=Q(reporter_replied_at__isnull=False),
                name="report_app_reporter_replied",
            ),
            # Console list: the assignee filter and the "Assigned to me" tab, within a status
            # tab in report-time order (keyset pages as report_app_status). Only assigned rows:
            # "Unassigned" is most of the table and is read through the indexes above.
            models.Index(
                fields=["mini_app", "assignee", "status", "created_at", "id"],
                condition=Q(assignee__isnull=False),
                name="report_app_assignee",
            ),
        ]

    def __str__(self) -> str:
        return self.report_id

    @staticmethod
    def due_from(created_at):
        return created_at + timedelta(hours=settings.REPORT_RESPONSE_HOURS)

    @property
    def is_past_due(self) -> bool:
        return self.past_due_at is not None

    @property
    def is_handled(self) -> bool:
        return self.status != Status.PENDING

    def reporter_path(self, url_name: str) -> str:
        """A reporter's page of this report (status page, appeal form: named by the app that
        serves it), with the access key that opens it; the one place such a link is built."""
        path = reverse(
            url_name, kwargs={"app_slug": self.mini_app.slug, "report_id": self.report_id}
        )
        return f"{path}?{urlencode({'key': self.access_key})}"

    def access_key_matches(self, key: str | None) -> bool:
        """The reporter's key check, in constant time. Compared as bytes: compare_digest
        refuses str with non-ASCII characters, and a key in a URL is user input."""
        return bool(key) and hmac.compare_digest(self.access_key.encode(), key.encode())


def screenshot_path(instance: "ScreenshotFiles", filename: str) -> str:
    # Generated names only: nothing the reporter sent ends up in a path.
    extension = filename[filename.rfind(".") :]
    return f"{instance.FOLDER}/{secrets.token_hex(16)}{extension}"


class ScreenshotFiles(models.Model):
    """A re-encoded image with its thumbnail (reports.screenshots stores and serves them):
    the fields a report's and an appeal's screenshots share."""

    FOLDER = "screenshots"  # in the storage; each kind of screenshot keeps its own

    image = models.FileField(upload_to=screenshot_path, max_length=200)
    thumbnail = models.FileField(upload_to=screenshot_path, max_length=200)
    content_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes, after re-encoding.")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class Screenshot(ScreenshotFiles):
    """A re-encoded image attached to a report, with its thumbnail for the console."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="screenshots")

    class Meta:
        ordering = ["report", "position"]

    def __str__(self) -> str:
        return f"Screenshot {self.position + 1} of {self.report_id}"


class ReportEvent(models.Model):
    """One line of a report's history, written in the same transaction as the change."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Report received"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"
        REOPENED = "reopened", "Reopened"
        NOTES_EDITED = "notes_edited", "Notes edited"
        PAST_DUE = "past_due", "Marked past due"
        APPEAL_SUBMITTED = "appeal_submitted", "Appeal received"
        SUPPORT_EMAIL_SHARED = "support_email_shared", "Support e-mail shared with reporter"
        APPEAL_UPHELD = "appeal_upheld", "Appeal upheld"
        APPEAL_OVERTURNED = "appeal_overturned", "Appeal overturned"
        REPLIED = "replied", "Reply sent to the reporter"
        INFORMATION_ADDED = "information_added", "Reporter added information"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"

    # What the reporter sees on the status page; the rest is for developers only.
    PUBLIC_KINDS = frozenset(
        {
            Kind.SUBMITTED,
            Kind.REPLIED,
            Kind.INFORMATION_ADDED,
            Kind.RESOLVED,
            Kind.DISMISSED,
            Kind.REOPENED,
            Kind.APPEAL_SUBMITTED,
            Kind.APPEAL_UPHELD,
            Kind.APPEAL_OVERTURNED,
        }
    )

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the reporter or the system.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Kind-specific facts: the notes text of an edit, the statuses before and after, ...
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The past-due mark is recorded once per report, whatever runs the job.
            models.UniqueConstraint(
                fields=["report"], condition=Q(kind="past_due"), name="event_one_past_due"
            ),
        ]
        indexes = [
            # A report's history, in order (the panel and the status page).
            models.Index(fields=["report", "created_at"], name="event_report_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.report_id})"

    @property
    def is_public(self) -> bool:
        return self.kind in self.PUBLIC_KINDS


class OutboundEmail(models.Model):
    """The durable outbox: an e-mail is a row before it is a task, so none is lost

    when the broker is down; a sweep re-sends what is still unsent.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    # Makes an e-mail once-only: the same key is never queued twice (e.g. "past_due:<report>").
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="email_dedupe_key"
            ),
        ]
        indexes = [
            # The outbox sweep: unsent e-mails, oldest first.
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="email_unsent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to}"


class AppEvent(models.Model):
    """One line of a mini app's audit log: a team, role, settings or secret change, who, when.

    Written by the service that makes the change, in the same transaction; owners read it.
    """

    class Kind(models.TextChoices):
        # Each feature adds the kinds of the changes it makes.
        MEMBER_ADDED = "member_added", "Member added"
        # The team (reports/team/services.py)
        MEMBER_INVITED = "member_invited", "Member invited"
        INVITATION_RESENT = "invitation_resent", "Invitation resent"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        MEMBER_ROLE_CHANGED = "member_role_changed", "Role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        APP_CREATED = "app_created", "Mini app created"
        # reports.app_settings: the app's settings and its signing secret.
        APP_RENAMED = "app_renamed", "App renamed"
        SUPPORT_EMAIL_CHANGED = "support_email_changed", "Support e-mail changed"
        SUPPORT_EMAIL_VERIFIED = "support_email_verified", "Support e-mail verified"
        HELP_INTRO_CHANGED = "help_intro_changed", "Help-center intro changed"
        FAQ_ADDED = "faq_added", "FAQ entry added"
        FAQ_CHANGED = "faq_changed", "FAQ entry changed"
        FAQ_DELETED = "faq_deleted", "FAQ entry deleted"
        SECRET_REVEALED = "secret_revealed", "Signing secret revealed"
        SECRET_ROTATED = "secret_rotated", "Signing secret rotated"
        TEST_REPORT_SENT = "test_report_sent", "Test report sent"
        # reports.api_keys
        API_KEY_CREATED = "api_key_created", "API key created"
        API_KEY_REVOKED = "api_key_revoked", "API key revoked"
        # reports.webhooks
        WEBHOOK_ADDED = "webhook_added", "Webhook endpoint added"
        WEBHOOK_CHANGED = "webhook_changed", "Webhook endpoint changed"
        WEBHOOK_DELETED = "webhook_deleted", "Webhook endpoint deleted"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled after failures"
        WEBHOOK_SECRET_REVEALED = "webhook_secret_revealed", "Webhook secret revealed"
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", "Webhook secret rotated"
        WEBHOOK_TEST_SENT = "webhook_test_sent", "Webhook test event sent"
        WEBHOOK_RESENT = "webhook_resent", "Webhook delivery resent"
        # The list's saved views, when shared with the team (private ones are not audited).
        SAVED_VIEW_SHARED = "saved_view_shared", "Saved view shared"
        SAVED_VIEW_UNSHARED = "saved_view_unshared", "Saved view no longer shared"
        SAVED_VIEW_RENAMED = "saved_view_renamed", "Shared saved view renamed"
        SAVED_VIEW_DELETED = "saved_view_deleted", "Shared saved view deleted"

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the system or an installation admin's command.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Kind-specific facts: the member's e-mail, the role before and after, the field changed...
    # Never a secret's value.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The audit log page: an app's newest events first.
            models.Index(fields=["mini_app", "-created_at", "-id"], name="appevent_app_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.mini_app}"


# --- The team: invitations (reports/team/)


class Invitation(models.Model):
    """An owner's invitation to join a mini app with a role, by a single-use e-mailed link.

    Only the SHA-256 of the link's token is stored: the database alone cannot open it. An
    invitation is open until accepted, revoked or past expires_at; resending gives it a new
    token (the old link stops working) and a new expiry.
    """

    VALID_FOR = timedelta(days=7)

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address")
    role = models.CharField(max_length=10, choices=MemberRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open invitation per address and app: inviting again resends it.
            models.UniqueConstraint(
                fields=["mini_app", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_unique",
            ),
            models.CheckConstraint(
                condition=Q(role__in=MemberRole.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.mini_app}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """accepted, revoked, expired or open: what the link says when it is opened."""
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.is_expired else "open"


# --- The help center's own content, written by the app's owners (reports.app_settings)


class HelpLanguage(models.TextChoices):
    # The help center's languages (settings.LANGUAGES); each has its own intro and FAQ.
    EN = "en", "English"
    ES = "es", "Spanish"


class HelpIntro(models.Model):
    """The text above the categories on the help center's home, in one language."""

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="help_intros")
    language = models.CharField(max_length=5, choices=HelpLanguage.choices)
    text = models.TextField(max_length=2000, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mini_app", "language"], name="helpintro_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.mini_app} intro ({self.language})"


class FaqEntry(models.Model):
    """One question and its answer on the help center's home, in one language."""

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="faq_entries")
    language = models.CharField(max_length=5, choices=HelpLanguage.choices)
    question = models.CharField(max_length=200)
    answer = models.TextField(max_length=5000)
    position = models.PositiveIntegerField(
        default=0, help_text="Lower numbers come first; equal numbers keep the order of creation."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            # The help center's FAQ: one app's entries in one language, in order.
            models.Index(fields=["mini_app", "language", "position"], name="faq_app_language"),
        ]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question


# --- API keys: the mini app's own tools call the handling API with these (reports/api_keys/)

API_KEY_PREFIX = "rdk_"
API_KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
API_KEY_ID_LENGTH = 8  # shown in the console as the key's prefix, and looked up by
API_KEY_SECRET_LENGTH = 32  # 32 of 57 symbols: about 186 bits, unguessable


class ApiKey(models.Model):
    """One API key of a mini app. Only its SHA-256 is stored; the key is shown once.

    The first characters (`prefix`, e.g. "rdk_Ab3dEf9h") identify it in the console and find
    its row; the rest is the secret. Revoked keys stay, so the audit log and the history can
    still name them.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read: list and read reports"
        HANDLE = "handle", "Handle: read, and resolve, dismiss and edit notes"

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="Which tool uses it, e.g. “CRM sync”.")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    prefix = models.CharField(max_length=20, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)  # hex SHA-256 of the whole key
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Written at most once a minute per key (see reports.api_keys.services.api_key_touch).
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            # Every request looks its key up by prefix: unique, so one row (and its index).
            models.UniqueConstraint(fields=["prefix"], name="apikey_prefix_unique"),
            models.CheckConstraint(
                condition=Q(scope__in=["read", "handle"]), name="apikey_scope_valid"
            ),
        ]
        indexes = [
            # The keys page: an app's keys, newest first.
            models.Index(fields=["mini_app", "-created_at"], name="apikey_app_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def may_handle(self, mini_app_id: int) -> bool:
        """A live `handle` key of this mini app: what resolving, dismissing and notes need."""
        return (
            self.is_active and self.scope == self.Scope.HANDLE and self.mini_app_id == mini_app_id
        )


# --- The conversation with the reporter (issue 13)


class AddedScreenshot(ScreenshotFiles):
    """A screenshot the reporter added from the status page, with the text of that addition
    (its ReportEvent of kind information_added)."""

    FOLDER = "added-screenshots"

    event = models.ForeignKey(ReportEvent, on_delete=models.CASCADE, related_name="screenshots")

    class Meta:
        ordering = ["event", "position"]

    def __str__(self) -> str:
        return f"Added screenshot {self.position + 1} of event {self.event_id}"


# Placeholders a saved reply may hold, filled in from the report when it is inserted.
SAVED_REPLY_PLACEHOLDERS = ("{report_id}", "{issue_type}", "{app_name}")


class SavedReply(models.Model):
    """A mini app's canned reply, inserted into the panel's reply box and edited there."""

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=100)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            # Also the index of the list: an app's saved replies by title.
            models.UniqueConstraint(fields=["mini_app", "title"], name="saved_reply_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def filled(self, report: Report) -> str:
        """The body with the placeholders filled in; any other brace stays as written."""
        values = {
            "{report_id}": report.report_id,
            "{issue_type}": report.issue_type.name,
            "{app_name}": report.mini_app.name,
        }
        text = self.body
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text


# --- Outgoing webhooks (reports/webhooks/): defined there, registered here as reports' models.
from .webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401

# --- Saved views of the User reports list (issue 15)


class SavedView(models.Model):
    """A member's named state of the User reports list: its query string, normalised to the
    known filter parameters (reports.selectors.list_state_query). Private to its owner unless
    shared with the team."""

    NAME_MAX_LENGTH = 60

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Text: a search of 200 characters outside ASCII is up to 2,400 once URL-encoded.
    query = models.TextField(blank=True)
    shared = models.BooleanField("shared with the team", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # Also the index of the list's tabs: a member's own views of an app.
            models.UniqueConstraint(
                fields=["mini_app", "owner", "name"], name="saved_view_name_unique"
            ),
        ]
        indexes = [
            # The list's tabs: the team's shared views of an app.
            models.Index(
                fields=["mini_app", "name"], condition=Q(shared=True), name="saved_view_shared"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InsightRollup(models.Model):
    """One count behind the insights page: per mini app, UTC hour, measure and item.

    Written only by reports.insights.rollup_add (an upsert that adds, in the transaction of the
    change it counts) and by `manage.py insights_rebuild`; docs/INSIGHTS.md defines each measure.
    """

    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(help_text="The UTC hour counted, at its start.")
    measure = models.CharField(max_length=20)
    item = models.CharField(max_length=60, blank=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # The upsert's conflict target; its index also serves the page's one range read
            # (mini_app = %s AND hour >= %s AND hour < %s).
            models.UniqueConstraint(
                fields=["mini_app", "hour", "measure", "item"], name="insight_rollup_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mini_app_id} {self.hour.isoformat()} {self.measure}:{self.item} = {self.n}"
