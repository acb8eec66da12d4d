"""HTML forms for escalation; they parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.escalation.choices import PackagePart, ReturnReason
from backline.tickets.forms import TeamChoiceField


class EscalateForm(forms.Form):
    to_team = TeamChoiceField(queryset=None, label="Escalate to", empty_label="— choose a team —")
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    impact_users = forms.IntegerField(required=False, min_value=0, label="Users affected")
    impact_services = forms.CharField(required=False, label="Services affected")
    impact_at_risk = forms.CharField(required=False, label="Revenue or deadline at risk")
    steps_taken = forms.CharField(
        required=False, label="Steps already taken", widget=forms.Textarea(attrs={"rows": 5})
    )
    reproduction_steps = forms.CharField(
        required=False, label="Reproduction steps", widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Evidence: attachments",
    )
    log_excerpts = forms.CharField(
        required=False,
        label="Evidence: log excerpts",
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
    )
    hypothesis = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    urgency_justification = forms.CharField(
        required=False, label="Why it is urgent", widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, teams, attachments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = teams
        self.fields["evidence"].queryset = attachments
        self.fields["evidence"].label_from_instance = lambda a: f"{a.filename} ({a.size:,} bytes)"


class AcceptForm(forms.Form):
    assign_to_self = forms.BooleanField(required=False, initial=True, label="Assign to me")


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "— why? —"), *ReturnReason.choices])
    guidance = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Guidance for the sending team",
    )


class DeescalateForm(forms.Form):
    prefix = "down"  # it shares the ticket page with the escalate dialog; ids must not collide

    to_team = TeamChoiceField(queryset=None, label="Hand down to", empty_label="— choose —")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="What was fixed, what to confirm",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = teams


class HandoffPolicyForm(forms.Form):
    required = forms.MultipleChoiceField(
        choices=PackagePart.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
