"""Input validation for the Settings and Integration pages; the rules are in services.py."""

from django import forms

from ..forms import validate_display_name, validate_visible_email
from ..models import FaqEntry, HelpIntro, HelpLanguage, MiniApp
from ..signing import OPEN_ID_MAX_LENGTH


class AppNameForm(forms.Form):
    name = forms.CharField(
        label="App name",
        max_length=MiniApp._meta.get_field("name").max_length,
        validators=[validate_display_name],
        help_text="Shown to reporters on the help center and in every e-mail.",
        error_messages={"required": "Enter the app's name."},
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class SupportEmailForm(forms.Form):
    support_email = forms.EmailField(
        label="Support e-mail",
        max_length=254,
        validators=[validate_visible_email],
        help_text=(
            "Shared with a reporter who appeals a payment report, once you confirm it from the "
            "link we e-mail to it."
        ),
        error_messages={
            "required": "Enter the support e-mail address.",
            "invalid": "Enter a valid e-mail address, like support@example.com.",
        },
    )


class HelpIntroForm(forms.Form):
    text = forms.CharField(
        label="Intro text",
        required=False,
        max_length=HelpIntro._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the categories. Leave it empty to show none.",
    )

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, prefix=f"intro-{language}", **kwargs)
        self.fields["text"].label = f"Intro text ({HelpLanguage(language).label})"


class FaqEntryForm(forms.Form):
    language = forms.ChoiceField(
        label="Language",
        choices=HelpLanguage.choices,
        error_messages={"invalid_choice": "Choose English or Spanish."},
    )
    question = forms.CharField(
        label="Question",
        max_length=FaqEntry._meta.get_field("question").max_length,
        validators=[validate_display_name],
        error_messages={"required": "Enter the question."},
    )
    answer = forms.CharField(
        label="Answer",
        max_length=FaqEntry._meta.get_field("answer").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the answer."},
    )
    position = forms.IntegerField(
        label="Order",
        min_value=0,
        max_value=9999,
        initial=0,
        help_text="Lower numbers come first.",
        error_messages={
            "invalid": "Enter a whole number, like 1.",
            "min_value": "Enter 0 or more.",
            "max_value": "Enter at most 9999.",
        },
    )


class SignedLinkForm(forms.Form):
    open_id = forms.CharField(
        label="Open ID",
        max_length=OPEN_ID_MAX_LENGTH,
        help_text="The signed-in user's Open ID, as your mini app knows it.",
        error_messages={"required": "Enter an Open ID to sign."},
    )

    def clean_open_id(self) -> str:
        value = self.cleaned_data["open_id"]
        if "\x00" in value:
            raise forms.ValidationError("An Open ID cannot contain a NUL character.")
        return value
