"""Forms of the worklog pages: log time in the ticket panel, filter the time report."""

from __future__ import annotations

from django import forms

from backline.core.errors import DomainError
from backline.worklog import rules
from backline.worklog.services import NOTE_MAX


class TimeEntryForm(forms.Form):
    duration = forms.CharField(max_length=40, required=False)
    note = forms.CharField(max_length=NOTE_MAX, required=False)
    spent_at = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
    )

    def clean_duration(self) -> int:
        try:
            return rules.parse_duration(self.cleaned_data.get("duration", ""))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class ReportForm(forms.Form):
    """The range and, for managers, the person and team of the "my time" page."""

    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)
    user = forms.IntegerField(required=False, min_value=1)
    team = forms.IntegerField(required=False, min_value=1)
