"""HTML forms for changes; they only parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.accounts.queries import teams_all
from backline.changes.choices import CauseKind, ChangeKind, ChangeSource, ChangeState, Risk
from backline.cmdb.queries import items_all

_DT = {"type": "datetime-local"}
_DT_FORMAT = "%Y-%m-%dT%H:%M"


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False, label=label, widget=forms.DateTimeInput(attrs=_DT, format=_DT_FORMAT)
    )


class ChangeForm(forms.Form):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(
        choices=ChangeKind.choices,
        initial=ChangeKind.NORMAL,
        help_text="Standard: pre-approved routine work. Normal: a manager approves it before it "
        "starts. Emergency: may start at once, approved afterwards.",
    )
    risk = forms.ChoiceField(choices=Risk.choices, initial=Risk.MEDIUM)
    cis = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="CIs touched",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    implementer_team = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— none —", label="Implementer team"
    )
    planned_start = _when("Planned start")
    planned_end = _when("Planned end")
    actual_start = _when("Actual start")
    actual_end = _when("Actual end")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    backout_plan = forms.CharField(
        required=False,
        label="Backout plan",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How to undo it if it goes wrong.",
    )
    external_ref = forms.CharField(
        max_length=200, required=False, label="External reference", help_text="Pipeline run, job…"
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cis"].queryset = items_all()
        self.fields["implementer_team"].queryset = teams_all()


class ChangeFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    state = forms.ChoiceField(choices=[("", "Any"), *ChangeState.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any"), *ChangeKind.choices], required=False)
    source = forms.ChoiceField(choices=[("", "Any"), *ChangeSource.choices], required=False)
    ci = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any", label="CI")
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci"].queryset = items_all()
        self.fields["team"].queryset = teams_all()


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    note = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(required=False)


class LinkForm(forms.Form):
    change = forms.CharField(max_length=30)
    kind = forms.ChoiceField(choices=CauseKind.choices, initial=CauseKind.SUSPECTED)
