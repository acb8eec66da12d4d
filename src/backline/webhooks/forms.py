"""HTML forms for webhooks; they only parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.webhooks.choices import DeliveryStatus, EventType


class SubscriptionForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    # A text field, not URLField: the service's rule (http/https only) gives the one message.
    url = forms.CharField(
        max_length=500,
        label="Target URL",
        widget=forms.TextInput(attrs={"placeholder": "https://l1-desk.example.com/hooks/backline"}),
        help_text="Backline POSTs signed JSON here (http:// or https://).",
    )
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        label="Events",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event type."},
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), *DeliveryStatus.choices], required=False)
    event_type = forms.ChoiceField(
        choices=[("", "Any"), *EventType.choices, ("webhook.test", "Test event")],
        required=False,
        label="Event",
    )
