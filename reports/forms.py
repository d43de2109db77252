"""Input validation for the console's forms; the rules themselves live in services.py."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .middleware import timezone_names
from .models import DismissReason
from .screenshots import MAX_BYTES, MAX_SCREENSHOTS, image_process, images_total_pixels_check
from .selectors import list_state_query
from .services import Dismissal

REPORT_ID_SHAPE = re.compile(r"^[0-9A-Za-z]{1,16}$")


# Embeddings, overrides and isolates: they reorder the text after them (e.g. "\u202e").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_display_name(value: str) -> None:
    """A name shown inside sentences and e-mail subjects: no control characters (line breaks,
    tabs) and no bidi controls, which would flip the text around it."""
    if any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in value):
        raise ValidationError(
            "Use visible characters only: no line breaks, tabs or text-direction controls.",
            code="invisible_characters",
        )


def validate_visible_email(value: str) -> None:
    """Refuse control and invisible formatting characters (bidi overrides, zero-width) in an
    e-mail address. Django's EmailValidator lets them through in the domain, where they make
    one address look like another. Code "invalid": the field shows its own invalid message."""
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in value):
        raise ValidationError("Enter a valid e-mail address.", code="invalid")


STALE_PAGE = "This page is out of date. Reload the report and try again."


def report_version_field() -> forms.IntegerField:
    """The report's version the panel was drawn from, sent back with every change to it (a
    stale one is refused: no lost updates)."""
    return forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"required": STALE_PAGE, "invalid": STALE_PAGE},
    )


class ReportActionForm(forms.Form):
    """Save notes, Resolve, Dismiss or Reopen, based on the version the developer was looking at."""

    version = report_version_field()
    notes = forms.CharField(
        label="Notes",
        required=False,
        strip=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "max_length": "Notes can be at most 20,000 characters (you wrote %(show_value)d)."
        },
    )

    reply = forms.CharField(
        label="Reply to reporter",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": "A reply can be at most 5,000 characters (you wrote %(show_value)d)."
        },
    )
    reason = forms.ChoiceField(
        label="Reason for dismissing",
        required=False,
        choices=[("", "Choose a reason")] + DismissReason.choices,
        error_messages={"invalid_choice": "Choose a reason from the list."},
    )
    duplicate_of = forms.CharField(
        label="ID of the report this one duplicates",
        required=False,
        max_length=16,
        error_messages={"max_length": "A report ID has 10 characters."},
    )
    reason_text = forms.CharField(
        label="The reason, in your words",
        required=False,
        max_length=500,
        error_messages={"max_length": "The reason can be at most 500 characters."},
    )

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action

    def clean_notes(self) -> str:
        # Line endings differ between browsers; trailing blank space is never meaningful.
        return self.cleaned_data["notes"].replace("\r\n", "\n").rstrip()

    def clean_reply(self) -> str:
        reply = self.cleaned_data["reply"].replace("\r\n", "\n").strip()
        if self.action == "reply" and not reply:
            raise ValidationError("Write the reply before sending it.", code="required")
        return reply

    def clean_duplicate_of(self) -> str:
        value = self.cleaned_data["duplicate_of"].strip().upper()
        if value and not REPORT_ID_SHAPE.match(value):
            raise ValidationError("A report ID has letters and digits only.", code="invalid")
        return value

    def clean(self):
        data = super().clean()
        if self.action != "dismiss":
            return data
        reason = data.get("reason")
        if not reason and "reason" not in self.errors:
            self.add_error("reason", "Choose why you dismiss this report: the reporter is told.")
        elif reason == DismissReason.DUPLICATE and not data.get("duplicate_of"):
            if "duplicate_of" not in self.errors:
                self.add_error("duplicate_of", "Give the ID of the report this one duplicates.")
        elif reason == DismissReason.OTHER and not data.get("reason_text", "").strip():
            self.add_error("reason_text", "Write the reason: the reporter reads it.")
        return data

    @property
    def dismissal(self) -> Dismissal:
        data = self.cleaned_data
        return Dismissal(
            reason=data["reason"],
            text=data.get("reason_text", ""),
            duplicate_of=data.get("duplicate_of", ""),
        )


class ReportIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        values = [v.strip() for v in (value or []) if v.strip()]
        for v in values:
            if not REPORT_ID_SHAPE.match(v):
                raise forms.ValidationError("One of the selected reports is not a report ID.")
        return values


class BulkActionForm(forms.Form):
    ACTIONS = [("resolve", "Resolve"), ("dismiss", "Dismiss")]

    action = forms.ChoiceField(
        choices=ACTIONS, error_messages={"required": "Choose Resolve or Dismiss."}
    )
    selected = ReportIdsField(required=False)
    all_matching = forms.BooleanField(required=False)
    # The list's state; bounds what is parsed (its own filter bounds each value).
    query = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.HiddenInput,
        error_messages={"max_length": "The list's search and filters are too long to act on."},
    )
    note = forms.CharField(
        label="Note for the selected reports",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "The note can be at most 5,000 characters."},
    )

    reason = forms.ChoiceField(
        label="Reason for dismissing (told to the reporters)",
        required=False,
        # Duplicate needs one report's ID and Other its own words: not for many at once.
        choices=[("", "Choose a reason")]
        + [c for c in DismissReason.choices if c[0] not in ("duplicate", "other")],
        error_messages={"invalid_choice": "Choose a reason from the list."},
    )

    def clean(self):
        data = super().clean()
        missing = data.get("action") == "dismiss" and not data.get("reason")
        if missing and "reason" not in self.errors:
            self.add_error("reason", "Choose why you dismiss these reports: each reporter is told.")
        if not data.get("selected") and not data.get("all_matching"):
            raise forms.ValidationError(
                "Select at least one report, or choose all reports matching the search and filters."
            )
        return data


class TimezoneForm(forms.Form):
    timezone = forms.ChoiceField(
        label="Timezone",
        choices=lambda: [(name, name.replace("_", " ")) for name in timezone_names()],
        error_messages={"invalid_choice": "Pick a timezone from the list."},
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def screenshot_input_attrs() -> dict:
    # data-max-bytes: static/js/help.js refuses a too-large file before it is uploaded.
    return {
        "accept": "image/png,image/jpeg,image/webp",
        "data-max-bytes": MAX_BYTES,
        "data-too-large": _("This image is larger than 10 MB. Please attach a smaller screenshot."),
    }


class ScreenshotsField(forms.FileField):
    """Up to MAX_SCREENSHOTS images; each is judged by its content and re-encoded. The one
    upload field of the help center's report form and the appeal form.

    Cleans to a list of reports.screenshots.ProcessedImage. Every bad file gets its own message,
    naming it, so the reporter knows which one to replace.
    """

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs=screenshot_input_attrs()))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data or []) if upload]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > MAX_SCREENSHOTS:
            raise ValidationError(
                ngettext(
                    "Attach at most %(max)d screenshots (you attached %(count)d).",
                    "Attach at most %(max)d screenshots (you attached %(count)d).",
                    MAX_SCREENSHOTS,
                )
                % {"max": MAX_SCREENSHOTS, "count": len(uploads)},
                code="too_many",
            )
        try:
            images_total_pixels_check(uploads)  # before decoding any of them
        except ValidationError as error:
            raise ValidationError(_(error.messages[0]), code=error.code) from None
        processed, errors = [], []
        for upload in uploads:
            try:
                processed.append(image_process(upload))
            except ValidationError as error:
                name = (upload.name or _("Unnamed file"))[:80]
                for message in error.messages:
                    errors.append(
                        ValidationError(
                            "%(name)s: %(message)s",
                            params={"name": name, "message": _(message)},
                            code=error.code or "invalid_image",
                        )
                    )
        if errors:
            raise ValidationError(errors)
        return processed

    def bound_data(self, data, initial):
        return data

    def has_changed(self, initial, data):
        return bool(data)


# A developer's e-mails: the past-due digest of one mini app, and the daily summary of all of
# theirs (one e-mail), at an hour of their day in their timezone.
class NotificationPreferencesForm(forms.Form):
    email_past_due = forms.BooleanField(
        label="E-mail me when reports become past due",
        help_text="One e-mail per run of the past-due job, listing the reports it marked.",
        required=False,
    )
    daily_summary = forms.BooleanField(
        label="E-mail me a daily summary",
        help_text=(
            "Once a day, one e-mail for all your mini apps: new, pending, past due and due "
            "within 12 hours, and yesterday's reports handled within 72 hours."
        ),
        required=False,
    )
    daily_summary_hour = forms.TypedChoiceField(
        label="Send the summary at",
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        error_messages={
            "required": "Pick the hour of the day for your summary, from 00:00 to 23:00.",
            "invalid_choice": "Pick the hour of the day for your summary, from 00:00 to 23:00.",
        },
    )
    timezone_name = forms.ChoiceField(
        label="In the timezone",
        choices=lambda: [(name, name.replace("_", " ")) for name in timezone_names()],
        error_messages={
            "required": "Pick the timezone your summary hour is in.",
            "invalid_choice": "Pick a timezone from the list.",
        },
    )


class SavedReplyForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=100,
        validators=[validate_display_name],
        error_messages={
            "required": "Give the saved reply a title, to find it in the list.",
            "max_length": "A title can be at most 100 characters.",
        },
    )
    body = forms.CharField(
        label="Reply text",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="{report_id}, {issue_type} and {app_name} are filled in from the report "
        "when you insert the reply.",
        error_messages={
            "required": "Write the text of the reply.",
            "max_length": "A reply can be at most 5,000 characters (you wrote %(show_value)d).",
        },
    )

    def clean_body(self) -> str:
        return self.cleaned_data["body"].replace("\r\n", "\n").strip()


class InsertSavedReplyForm(forms.Form):
    saved_reply = forms.IntegerField(
        label="Saved reply",
        error_messages={
            "required": "Choose a saved reply to insert.",
            "invalid": "Choose a saved reply to insert.",
        },
    )


class AssignForm(forms.Form):
    """The panel's assign form: a member of the app (or nobody), or "Assign to me"."""

    version = report_version_field()
    assignee = forms.ChoiceField(
        label="Assigned to",
        required=False,
        error_messages={
            "invalid_choice": "Choose an owner or a handler of this mini app from the list."
        },
    )
    assign_me = forms.BooleanField(required=False)

    def __init__(self, *args, members=(), user=None, current=None, **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")  # the panel's notes form has its own version
        super().__init__(*args, **kwargs)
        self.user = user
        # A disabled account is offered no report; a current assignee's stays shown as such.
        self.members = {
            str(member.pk): member for member in members if member.is_active or member.pk == current
        }
        self.fields["assignee"].choices = [("", "Nobody (unassigned)")] + [
            (key, member.display_name if member.is_active else f"{member.display_name} (disabled)")
            for key, member in self.members.items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("assign_me"):
            data["assignee"] = str(self.user.pk)
            # Assign to me is offered to handlers only; the service says so to anyone else.
            self.members.setdefault(data["assignee"], self.user)
        return data

    @property
    def assignee_user(self):
        return self.members.get(self.cleaned_data.get("assignee") or "")


class SavedViewForm(forms.Form):
    """Save the list's current state under a name, or rename / (un)share a saved view.

    `validate_query(params)` is the list's own filter (reports.selectors.report_filter): a view
    holds only what the list itself accepts."""

    name = forms.CharField(
        label="Name of the view",
        max_length=60,
        validators=[validate_display_name],
        error_messages={
            "required": "Name the view, e.g. “Payment, past due”.",
            "max_length": "A view's name can be at most 60 characters (you wrote %(show_value)d).",
        },
    )
    shared = forms.BooleanField(label="Share with the team", required=False)
    # Bounds what is parsed; the list's own filter bounds each value (a search: 200 characters).
    query = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.HiddenInput,
        error_messages={"max_length": "This view's search and filters are too long to save."},
    )

    def __init__(self, *args, validate_query=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.validate_query = validate_query

    def clean_query(self) -> str:
        query = list_state_query(QueryDict(self.cleaned_data["query"]))
        if self.validate_query is not None:
            filterset = self.validate_query(QueryDict(query))
            problems = [str(e) for errors in filterset.errors.values() for e in errors]
            if problems:
                raise ValidationError(
                    f"This view's search and filters are not valid: {problems[0]}",
                    code="invalid",
                )
        return query
