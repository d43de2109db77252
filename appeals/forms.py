"""Input validation only: the rules of appealing live in appeals.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from reports.forms import ScreenshotsField, validate_visible_email
from reports.models import Status
from reports.screenshots import MAX_SCREENSHOTS

REASON_MIN_LENGTH = 20


MIN_LENGTH_MESSAGE = format_lazy(
    _("Please describe your reason in at least {count} characters, so the team can review it."),
    count=REASON_MIN_LENGTH,
)


class AppealForm(forms.Form):
    contact_email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        validators=[validate_visible_email],
        help_text=_("We send the outcome of your appeal here."),
        error_messages={
            "required": _("Enter your e-mail address, so we can send you the outcome."),
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
        },
    )
    reason = forms.CharField(
        label=_("Why do you disagree with the decision?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=REASON_MIN_LENGTH,
        max_length=5000,
        help_text=_(
            "Say what was wrong with how your report was handled and what outcome you expect. "
            "Include anything new, such as the date and amount of a charge or a delivery notice. "
            "Do not include passwords or full card numbers."
        ),
        error_messages={
            "required": _("Tell us why you disagree with the decision."),
            "min_length": MIN_LENGTH_MESSAGE,
            "max_length": _("Please keep your reason under 5000 characters."),
        },
    )
    screenshots = ScreenshotsField(
        required=False,
        label=_("Screenshots (optional)"),
        help_text=format_lazy(
            _("Up to {count} PNG, JPEG or WebP images, 10 MB each."), count=MAX_SCREENSHOTS
        ),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < REASON_MIN_LENGTH:
            raise ValidationError(str(MIN_LENGTH_MESSAGE), code="min_length")
        return reason


DECISION_CHOICES = [("uphold", "Uphold"), ("overturn", "Overturn")]


class AppealDecisionForm(forms.Form):
    reply = forms.CharField(
        label="Reply to the reporter",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="The reporter reads this with the outcome. Internal notes stay internal.",
        error_messages={
            "required": "Write a reply to the reporter: they read it with the outcome."
        },
    )
    new_status = forms.ChoiceField(
        label="New status if you overturn",
        required=False,
        help_text="Overturning changes the report's decision to this status.",
    )
    decision = forms.ChoiceField(
        choices=DECISION_CHOICES,
        error_messages={"required": "Choose Uphold or Overturn."},
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"invalid": "This page is out of date. Reload the appeal and try again."},
    )

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        # Every status except the current decision. A dismissal is most often overturned
        # into Resolved; a resolved report into another look at it (Pending).
        labels = {
            Status.RESOLVED: "Resolved",
            Status.PENDING: "Pending (reopen it and handle it again)",
            Status.DISMISSED: "Dismissed",
        }
        order = [Status.RESOLVED, Status.PENDING, Status.DISMISSED]
        choices = [(value, labels[value]) for value in order if value != report.status]
        self.fields["new_status"].choices = choices
        self.fields["version"].initial = report.version

    def clean_reply(self) -> str:
        reply = self.cleaned_data["reply"].strip()
        if not reply:
            raise ValidationError("Write a reply to the reporter: they read it with the outcome.")
        return reply

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "overturn" and not cleaned.get("new_status"):
            self.add_error("new_status", "Choose the report's new status.")
        return cleaned
