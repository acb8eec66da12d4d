"""HTML forms for problems; they only parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.accounts.queries import staff_users, teams_all
from backline.cmdb.queries import items_all, services_all
from backline.problems.choices import ActionKind, Closure, ProblemState
from backline.tickets.choices import CauseCode

PRIORITIES = [(1, "P1 critical"), (2, "P2 high"), (3, "P3 medium"), (4, "P4 low")]


class _StaffChoices(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].queryset = staff_users()
        if "team" in self.fields:
            self.fields["team"].queryset = teams_all()
        if "services" in self.fields:
            self.fields["services"].queryset = services_all()
        if "cis" in self.fields:
            self.fields["cis"].queryset = items_all()


class ProblemForm(_StaffChoices):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    statement = forms.CharField(
        required=False,
        label="Problem statement",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What goes wrong, where, since when, for whom.",
    )
    priority = forms.TypedChoiceField(choices=PRIORITIES, coerce=int, initial=3)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="— me —")
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    services = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Affected services",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )  # fmt: skip
    cis = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Affected CIs",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )  # fmt: skip
    tickets = forms.CharField(
        required=False,
        label="Incidents",
        help_text="Ticket numbers to link, separated by spaces or commas.",
        widget=forms.TextInput(attrs={"placeholder": "INC-000123 INC-000124"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ProblemFilterForm(_StaffChoices):
    q = forms.CharField(required=False, max_length=200)
    state = forms.ChoiceField(
        choices=[("", "Any"), ("open", "Open"), *ProblemState.choices], required=False
    )
    priority = forms.TypedChoiceField(
        choices=[("", "Any"), *PRIORITIES], coerce=int, required=False, empty_value=None
    )
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    ci = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any", label="CI")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services_all()
        self.fields["ci"].queryset = items_all()


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    closure = forms.ChoiceField(choices=[("", "—"), *Closure.choices], required=False)
    note = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(required=False)


class TimelineForm(forms.Form):
    happened_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    text = forms.CharField(max_length=4000, label="What happened")
    evidence = forms.CharField(
        required=False,
        max_length=300,
        label="Evidence",
        help_text="CHG-7, a ticket event link (…#event-34) or an attachment link "
        "(…/attachments/5/)",
    )


class RootCauseForm(forms.Form):
    root_cause = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    cause_code = forms.ChoiceField(choices=[("", "—"), *CauseCode.choices], required=False)
    version = forms.IntegerField(required=False)


class FactorForm(forms.Form):
    category = forms.SlugField(max_length=30)
    text = forms.CharField(max_length=2000)


class ActionForm(_StaffChoices):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ActionKind.choices, initial=ActionKind.CORRECTIVE)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="— me —")
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    due_date = forms.DateField(
        required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"})
    )
    change = forms.CharField(
        required=False, max_length=30, label="Change", widget=forms.TextInput(
            attrs={"placeholder": "CHG-…"}
        ),
    )  # fmt: skip
    external_ref = forms.CharField(
        required=False, max_length=300, label="Engineering ticket",
        widget=forms.TextInput(attrs={"placeholder": "ENG-123 or a URL"}),
    )  # fmt: skip
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class NumbersForm(forms.Form):
    numbers = forms.CharField(max_length=20_000, label="Incident numbers")


def split_numbers(text: str) -> list[str]:
    """`INC-1, INC-2 3` → ["INC-1", "INC-2", "3"]."""
    return [part for part in text.replace(",", " ").replace(";", " ").split() if part]
