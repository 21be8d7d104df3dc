"""What an administrator types to make a token or a webhook subscription."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from microintern.core.forms import text_field

from .enums import Scope, WebhookEvent
from .tokens import LONGEST_LIFETIME


class TokenForm(forms.Form):
    name = text_field(max_length=100, label="Integration", help_text="e.g. Careers CRM")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Please choose at least one scope."},
    )
    expires_on = forms.DateField(
        label="Expires on",
        help_text="At most a year ahead; the token stops working at the start of this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Please give the date as YYYY-MM-DD."},
    )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("The expiry date must be after today.")
        if day > today + LONGEST_LIFETIME - timedelta(days=1):
            raise forms.ValidationError("A token lasts at most a year: choose an earlier date.")
        return day

    def expires_at(self) -> datetime:
        day = self.cleaned_data["expires_on"]
        return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


class SubscriptionForm(forms.Form):
    name = text_field(max_length=100, label="Receiver", help_text="e.g. Data warehouse")
    url = forms.URLField(
        label="Address (https://…)",
        max_length=500,
        assume_scheme="https",
        error_messages={
            "invalid": "Please give a full web address, e.g. https://crm.example.ac.uk/hooks."
        },
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Please choose at least one event."},
    )
