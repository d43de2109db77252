"""Input validation for the help center and the in-app API (the same form serves both)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from reports.forms import ScreenshotsField, validate_visible_email
from reports.models import Category, IssueType
from reports.services import ReportInput
from reports.signing import OPEN_ID_MAX_LENGTH

DETAILS_MAX_LENGTH = 5000
# The form's one-time token as the server issues it (secrets.token_urlsafe(24)). Anything else
# is ignored: a chosen value could otherwise name another submission (e.g. an API
# idempotency key, stored as "api:<key>") and be redirected to its status page.
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
ORDER_ID_MAX_LENGTH = 64


class BrowserHintField(forms.CharField):
    """A hidden value the page fills in, never typed by the reporter. A garbled one (too long,
    a NUL) is dropped rather than refusing the report with an error they cannot see or fix."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, value) -> str:
        try:
            return super().clean(value)
        except ValidationError:
            return ""


class IssueTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: IssueType) -> str:
        return _(obj.name)


class ReportForm(forms.Form):
    """One category's fields, exactly as DESIGN.md's table has them."""

    issue_type = IssueTypeChoiceField(
        label=_("What is the problem?"),
        queryset=IssueType.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choose the issue type that best describes the problem."),
            "invalid_choice": _("Choose one of the issue types listed."),
        },
    )
    details = forms.CharField(
        label=_("Report details"),
        help_text=_(
            "What happened, when, the exact error text, the steps that lead to it, "
            "and your device and app version."
        ),
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 7}),
        error_messages={
            "required": _("Describe what happened, so the developer can look into it."),
            "max_length": _(
                "Keep the description to %(limit_value)d characters or fewer "
                "(it has %(show_value)d)."
            ),
        },
    )
    order_id = forms.CharField(
        label=_("Order ID"),
        help_text=_("You find it in your receipt or in the app's order history."),
        max_length=ORDER_ID_MAX_LENGTH,
        error_messages={
            "required": _("Enter the order ID of the payment, so the developer can find it."),
            "max_length": _(
                "An order ID has at most %(limit_value)d characters (this one has %(show_value)d)."
            ),
        },
    )
    screenshots = ScreenshotsField(
        label=_("Screenshots"),
        help_text=_("Up to 3 images, PNG, JPEG or WebP, at most 10 MB each."),
        required=False,
        error_messages={
            "required": _("Attach at least one screenshot that shows the violation."),
        },
    )
    contact_email = forms.EmailField(
        label=_("Your e-mail (optional)"),
        help_text=_("We send the confirmation and the status link here. Nothing else."),
        required=False,
        max_length=254,
        validators=[validate_visible_email],
        error_messages={
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
            "max_length": _("This e-mail address is too long."),
        },
    )
    # The one-time token: a double-click or a resubmit files one report.
    submission_key = BrowserHintField(max_length=64)
    # The reporter's timezone as the browser reports it (filled by help.js).
    tz = BrowserHintField(max_length=64)

    def __init__(self, *args, category: str, trust_open_id: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        self.fields["issue_type"].queryset = IssueType.objects.filter(category=category)
        if category == Category.COMMUNITY:
            del self.fields["details"]
            self.fields["screenshots"].required = True
            self.fields["screenshots"].help_text = _(
                "Required: 1 to 3 images that show the violation, PNG, JPEG or WebP, "
                "at most 10 MB each."
            )
        if category != Category.PAYMENT:
            del self.fields["order_id"]
        if category == Category.PAYMENT:
            self.fields["contact_email"].help_text = _(
                "We send the confirmation and the status link here. You need it to appeal "
                "the decision."
            )
        if trust_open_id:
            # Only the signed API may state an Open ID; the web form never takes one typed in.
            self.fields["open_id"] = forms.CharField(
                required=False,
                max_length=OPEN_ID_MAX_LENGTH,
                error_messages={
                    "max_length": _("An Open ID has at most %(limit_value)d characters.")
                },
            )

    def report_input(
        self, *, source: str, submission_key: str, submission_fingerprint: str = "", open_id=""
    ) -> ReportInput:
        """What the valid form asks to file: the one builder for the help center and the API.
        The Open ID is the signed API's field, else the one the caller verified (a signed
        help-center link)."""
        cleaned = self.cleaned_data
        return ReportInput(
            category=self.category,
            issue_type=cleaned["issue_type"],
            details=cleaned.get("details", ""),
            order_id=cleaned.get("order_id", ""),
            contact_email=cleaned.get("contact_email", ""),
            open_id=cleaned.get("open_id", open_id),
            screenshots=cleaned.get("screenshots", []),
            source=source,
            submission_key=submission_key,
            submission_fingerprint=submission_fingerprint,
        )

    def clean_submission_key(self) -> str:
        return form_token(self.cleaned_data["submission_key"])

    def clean_order_id(self) -> str:
        value = self.cleaned_data["order_id"]
        if any(ord(char) < 32 for char in value):
            raise ValidationError(_("The order ID contains characters that are not allowed."))
        return value

    def clean_contact_email(self) -> str:
        return self.cleaned_data["contact_email"].strip().lower()


def form_token(value: str | None) -> str:
    """The submitted one-time token if it has the issued shape, else "" (no replay lookup)."""
    return value if value and FORM_TOKEN.fullmatch(value) else ""


class CheckReportForm(forms.Form):
    report_id = forms.CharField(
        label=_("Report ID"),
        max_length=16,
        help_text=_("The 10 characters in your confirmation, e.g. R7K3M9QXPD."),
        error_messages={"required": _("Enter the report ID from your confirmation.")},
    )
    email = forms.EmailField(
        label=_("E-mail given with the report"),
        error_messages={
            "required": _("Enter the e-mail address you gave with the report."),
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
        },
    )

    def clean_report_id(self) -> str:
        return "".join(self.cleaned_data["report_id"].split()).upper()


INFORMATION_MAX_LENGTH = 2000


class AddInformationForm(forms.Form):
    """What a reporter adds to their report from the status page: text, screenshots or both."""

    text = forms.CharField(
        label=_("What would you like to add?"),
        required=False,
        max_length=INFORMATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": INFORMATION_MAX_LENGTH}),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters (you wrote %(show_value)d).")
        },
    )
    screenshots = ScreenshotsField(label=_("Screenshots (optional, up to 3)"), required=False)

    def clean_text(self) -> str:
        return self.cleaned_data["text"].replace("\r\n", "\n").strip()

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("text") and not data.get("screenshots"):
            raise ValidationError(_("Write something or attach a screenshot to add."))
        return data
