from django import forms
from django.contrib.auth import get_user_model, password_validation

from ..forms import validate_display_name, validate_visible_email
from ..models import MemberRole

ROLE_HELP = {
    MemberRole.OWNER: "everything, plus the team, the app's settings and secrets",
    MemberRole.HANDLER: "handles reports and appeals, replies, writes notes",
    MemberRole.VIEWER: "reads everything of the app, changes nothing",
}


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        validators=[validate_visible_email],
        error_messages={
            "required": "Enter the e-mail address to send the invitation to.",
            "invalid": "Enter a valid e-mail address, like name@example.com.",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=MemberRole.choices,
        initial=MemberRole.HANDLER,
        error_messages={"invalid_choice": "Choose a role: owner, handler or viewer."},
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=MemberRole.choices,
        error_messages={"invalid_choice": "Choose a role: owner, handler or viewer."},
    )


class NewAccountForm(forms.Form):
    """An invited person without an account: their name and a password."""

    name = forms.CharField(
        label="Your name",
        max_length=150,
        validators=[validate_display_name],
        error_messages={"required": "Enter your name, as your teammates will see it."},
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
        error_messages={"required": "Choose a password."},
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again."},
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ: type the same one twice.")
        elif first:
            # Validated against the account it will be (e.g. not too like the e-mail address).
            candidate = get_user_model()(username=self.email, email=self.email)
            candidate.first_name = cleaned.get("name", "")
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
