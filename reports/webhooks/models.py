"""A mini app's webhook endpoints and one delivery row per event per endpoint.

Imported at the end of reports.models, so they are the reports app's models (one migration
history); they name MiniApp by string to keep that import one-way.
"""

import base64
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
WEBHOOK_ID_PREFIX = "msg_"


class EventType(models.TextChoices):
    REPORT_CREATED = "report.created", "report.created: a report was filed"
    REPORT_REPLIED = "report.replied", "report.replied: the team replied to the reporter"
    REPORT_RESOLVED = "report.resolved", "report.resolved: a report was resolved"
    REPORT_DISMISSED = "report.dismissed", "report.dismissed: a report was dismissed"
    REPORT_REOPENED = "report.reopened", "report.reopened: a report was reopened"
    REPORT_PAST_DUE = "report.past_due", "report.past_due: a report passed its deadline"
    REPORT_REPORTER_REPLIED = (
        "report.reporter_replied",
        "report.reporter_replied: the reporter added information",
    )
    APPEAL_CREATED = "appeal.created", "appeal.created: a reporter appealed a decision"
    APPEAL_DECIDED = "appeal.decided", "appeal.decided: an appeal was upheld or overturned"


# Sent only by "Send test event", to the one endpoint, whatever it subscribes to.
TEST_EVENT_TYPE = "webhook.test"


def new_webhook_secret() -> str:
    """`whsec_` + base64 of 24 random bytes (192 bits), the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_webhook_id() -> str:
    # The form event_emit's SQL writes too (reports/webhooks/events.py): 32 hex digits.
    return WEBHOOK_ID_PREFIX + secrets.token_hex(16)


class WebhookEndpoint(models.Model):
    """Where a mini app's backend wants events POSTed, signed with the endpoint's own secret."""

    mini_app = models.ForeignKey(
        "reports.MiniApp", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # A list of EventType values.
    event_types = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    # Kept as given to the owner: it must sign, so it cannot be stored hashed (like the app's
    # signing secret). Never written to the audit log.
    secret = models.CharField(max_length=100, default=new_webhook_secret, editable=False)
    # After a rotation the replaced secret also signs, for SECRET_GRACE (signing_secrets), so
    # a receiver can switch to the new one without rejecting a delivery in between.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Why it is off, when the system turned it off ("" when an owner did, or when it is on).
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Failed attempts since the last success (the log page shows it), and the totals.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failed_deliveries = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # event_emit: an app's enabled endpoints (one query per event).
            models.Index(
                fields=["mini_app"], condition=Q(enabled=True), name="webhook_endpoint_enabled"
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def previous_secret_signs_until(self, now: datetime | None = None) -> datetime | None:
        """Until when the secret replaced by the last rotation also signs; None when none
        does now (never rotated, or its grace is over)."""
        from ..signing import grace_until  # reports.signing imports reports.models

        return grace_until(
            previous=self.previous_secret, rotated_at=self.secret_rotated_at, now=now
        )

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets each delivery is signed with now, one `v1,` signature each: the current
        one, and during a rotation's grace the one it replaced."""
        if self.previous_secret_signs_until(now):
            return [self.secret, self.previous_secret]
        return [self.secret]

    def subscribes(self, event_type: str) -> bool:
        return event_type in self.event_types

    @property
    def event_labels(self) -> list[str]:
        return [value for value in EventType.values if value in self.event_types]


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body, its stable webhook-id, and its last attempt.

    Written in the transaction of the change it tells of; sent after commit, retried on the
    schedule in reports.webhooks.delivery, swept by beat if its task never ran.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    # No index of its own: webhook_delivery_log starts with it. Each index is paid for by the
    # submission that writes the row (bench/webhooks.py).
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # The webhook-id header: the same on every attempt, so receivers can deduplicate.
    webhook_id = models.CharField(max_length=40, default=new_webhook_id)
    event_type = models.CharField(max_length=40)
    # The JSON body exactly as sent (text, so every retry signs the very same bytes).
    payload = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; while an attempt runs, the end of its claim. None when done.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: pending deliveries whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            # The delivery log: an endpoint's newest deliveries first.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log"),
        ]
        constraints = [
            # A constraint rather than unique=True, which adds a second (LIKE) index on PostgreSQL.
            models.UniqueConstraint(fields=["webhook_id"], name="webhook_delivery_webhook_id"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"
