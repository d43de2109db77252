"""An appeal of a handled payment report, and the screenshots the reporter adds to it."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from reports.models import MiniApp, Report, ScreenshotFiles, Status, screenshot_path


class Appeal(models.Model):
    """A reporter's appeal of one handling (decision) of a payment report.

    State changes go through appeals.services; the constraints below hold the rules the
    database can hold itself, so a race between two submissions cannot break them.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld"
        OVERTURNED = "overturned", "Overturned"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="appeals")
    # The report's tenant, copied so the appeals queue reads one table with one index.
    mini_app = models.ForeignKey(MiniApp, on_delete=models.CASCADE, related_name="appeals")
    contact_email = models.EmailField("contact e-mail")
    reason = models.TextField(max_length=5000)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    # The handling this appeal is about: one appeal per handling of the report.
    appealed_status = models.CharField("decision appealed", max_length=10, choices=Status.choices)
    appealed_handled_at = models.DateTimeField("decision time")
    created_at = models.DateTimeField("appeal time", default=timezone.now)
    due_at = models.DateTimeField("due")
    past_due_at = models.DateTimeField(
        "marked past due", null=True, blank=True, help_text="Stays set if decided late."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reply = models.TextField(
        blank=True, max_length=5000, help_text="Shown to the reporter with the outcome."
    )
    # The language the reporter used, so the outcome e-mail reaches them in it too.
    language = models.CharField(max_length=10, blank=True)
    # The report's status after an overturn (empty when upheld or still open).
    new_status = models.CharField(max_length=10, choices=Status.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["open", "upheld", "overturned"]), name="appeal_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(appealed_status__in=[Status.RESOLVED, Status.DISMISSED]),
                name="appeal_of_a_handled_report",
            ),
            models.CheckConstraint(
                condition=(Q(state="open", decided_at__isnull=True))
                | (~Q(state="open") & Q(decided_at__isnull=False) & ~Q(reply="")),
                name="appeal_decided_with_reply",
            ),
            models.CheckConstraint(
                condition=(Q(state="overturned") & ~Q(new_status=""))
                | (~Q(state="overturned") & Q(new_status="")),
                name="appeal_overturn_has_new_status",
            ),
            models.CheckConstraint(condition=Q(due_at__gt=F("created_at")), name="appeal_due"),
            # One appeal per handling: appealing again needs the report handled again.
            models.UniqueConstraint(
                fields=["report", "appealed_handled_at"], name="appeal_once_per_handling"
            ),
            # At most one open appeal per report.
            models.UniqueConstraint(
                fields=["report"], condition=Q(state="open"), name="appeal_one_open"
            ),
        ]
        indexes = [
            # The appeals queue and the open-appeals badge: one app, by state and age.
            models.Index(fields=["mini_app", "state", "created_at"], name="appeal_app_state_time"),
            # The past-due job: open, not yet marked, by deadline.
            models.Index(
                fields=["due_at"],
                condition=Q(state="open", past_due_at__isnull=True),
                name="appeal_due_unmarked",
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal {self.pk} of {self.report}"

    @staticmethod
    def due_from(created_at):
        return created_at + timedelta(hours=settings.REPORT_RESPONSE_HOURS)

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_past_due(self) -> bool:
        return self.past_due_at is not None


def appeal_screenshot_path(instance, filename: str) -> str:
    # Named by the migrations written before ScreenshotFiles.FOLDER; kept so they import.
    return screenshot_path(instance, filename)


class AppealScreenshot(ScreenshotFiles):
    """A re-encoded image attached to an appeal (same fields and pipeline as a report's)."""

    FOLDER = "appeal-screenshots"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="screenshots")

    class Meta:
        ordering = ["appeal", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "position"], name="appeal_screenshot_position"
            ),
        ]

    def __str__(self) -> str:
        return f"Screenshot {self.position + 1} of appeal {self.appeal_id}"
