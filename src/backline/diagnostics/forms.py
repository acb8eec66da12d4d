from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone


class LogUploadForm(forms.Form):
    file = forms.FileField(required=False, label="Log file", help_text="Plain text or gzip.")
    share_path = forms.CharField(required=False, max_length=500, label="Or a path on the log share")
    pattern = forms.CharField(
        required=False,
        max_length=500,
        label="Header pattern",
        help_text="Only when detection gets it wrong: <Date> <Time> <Level> <Component>: "
        "<Content>, or a regex with groups ts, level, component, message.",
    )
    tz = forms.CharField(
        required=False,
        max_length=64,
        label="Time zone of times without one",
        help_text="For example Europe/Berlin; UTC when empty.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("share_path"):
            raise forms.ValidationError("Choose a log file to upload or a path on the log share.")
        return data


class AroundForm(forms.Form):
    start = forms.DateTimeField(
        label="Incident start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    before = forms.IntegerField(label="Minutes before", min_value=1, max_value=7 * 24 * 60)
    after = forms.IntegerField(label="Minutes after", min_value=1, max_value=7 * 24 * 60)

    @staticmethod
    def initial_for(start: datetime) -> dict[str, Any]:
        return {"start": timezone.localtime(start), "before": 60, "after": 60}


class PinForm(forms.Form):
    template = forms.IntegerField(required=False, min_value=0)
    line_from = forms.IntegerField(required=False, min_value=1, label="First line")
    line_to = forms.IntegerField(required=False, min_value=1, label="Last line")
    note = forms.CharField(required=False, max_length=500)
