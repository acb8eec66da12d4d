"""HTML forms for tickets; they only parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.accounts.models import Team, User
from backline.accounts.queries import staff_users, teams_all
from backline.cmdb.queries import items_all, services_all
from backline.tickets.choices import (
    CauseCode,
    Level,
    LinkKind,
    PendingReason,
    ResolutionCode,
    Source,
)
from backline.tickets.queries import categories_active


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.username})"


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.label


def _with_blank(choices, label: str) -> list:
    return [("", label), *choices]


class TicketFieldsForm(forms.Form):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    ci = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— none —", label="Configuration item"
    )
    impact = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    urgency = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    team = TeamChoiceField(queryset=None, required=False, empty_label="— unrouted —")
    assignee = UserChoiceField(queryset=None, required=False, empty_label="— nobody —")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories_active()
        self.fields["service"].queryset = services_all()
        self.fields["ci"].queryset = items_all()
        self.fields["team"].queryset = teams_all()
        self.fields["assignee"].queryset = staff_users()


class TicketCreateForm(TicketFieldsForm):
    requester = UserChoiceField(queryset=None, required=False, empty_label="— me —")
    source = forms.ChoiceField(choices=Source.choices, initial=Source.PHONE)
    field_order = [
        "title",
        "description",
        "requester",
        "source",
        "impact",
        "urgency",
        "category",
        "service",
        "ci",
        "team",
        "assignee",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name"
        )


class TicketEditForm(TicketFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    assignee = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput)
    pending_reason = forms.ChoiceField(
        choices=_with_blank(PendingReason.choices, "— choose —"), required=False
    )
    resolution_code = forms.ChoiceField(
        choices=_with_blank(ResolutionCode.choices, "— choose —"), required=False
    )
    cause_code = forms.ChoiceField(
        choices=_with_blank(CauseCode.choices, "— unknown —"), required=False
    )
    resolution_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lower_tier_capable = forms.BooleanField(required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    internal = forms.BooleanField(required=False)
    file = forms.FileField(required=False)


class LinkForm(forms.Form):
    target = forms.CharField(max_length=20, label="Ticket number")
    kind = forms.ChoiceField(choices=LinkKind.choices, initial=LinkKind.RELATED)
