from django import forms

from ..models import ApiKey


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        max_length=100,
        help_text="Which tool uses it, so you know what stops working if you revoke it.",
        error_messages={"required": "Give the key a name, e.g. “CRM sync”."},
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=ApiKey.Scope.choices,
        initial=ApiKey.Scope.READ,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the key may do."},
    )
