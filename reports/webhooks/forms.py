from django import forms
from django.core.validators import URLValidator

from .models import EventType


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        help_text="Where we POST the events, e.g. https://api.example.com/reportdesk/webhooks.",
        error_messages={
            "required": "Enter the URL your server receives webhooks at.",
            "max_length": "The URL can be at most 500 characters.",
        },
    )
    event_types = forms.MultipleChoiceField(
        label="Events to send",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one event to send.",
            "invalid_choice": "Choose events from the list.",
        },
    )
    enabled = forms.BooleanField(
        label="Enabled",
        required=False,
        initial=True,
        help_text="Turned off, nothing is sent; what happens meanwhile is sent when turned on.",
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
        except forms.ValidationError:
            raise forms.ValidationError("Enter a valid URL, starting with https://.") from None
        return url  # where it may go is the service's rule (WebhookAddressRefused)
