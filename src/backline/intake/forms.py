"""HTML forms for alert sources and rules; they parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.accounts.models import User
from backline.accounts.queries import teams_all
from backline.cmdb.queries import items_all, services_all
from backline.core.errors import DomainError
from backline.intake import rules
from backline.intake.choices import SourceKind
from backline.intake.queries import sources_list
from backline.tickets.choices import Level


def _level(label: str, *, required: bool = True) -> forms.TypedChoiceField:
    choices = Level.choices if required else [("", "— source default —"), *Level.choices]
    return forms.TypedChoiceField(
        choices=choices, coerce=int, required=required, empty_value=None, label=label
    )


class SourceForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(
        choices=SourceKind.choices,
        label="Payload format",
        help_text="Each format has its own receiver URL; the token only works on it.",
    )
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="— none —",
        label="Default team",
        help_text="Used when no rule, CI or service names a team.",
    )
    impact = _level("Default impact")
    urgency = _level("Default urgency")
    requester = forms.ModelChoiceField(
        queryset=None, label="Raise incidents as", help_text="Usually a monitoring service account."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_all()
        self.fields["requester"].queryset = User.objects.filter(is_active=True).order_by("username")
        if not self.initial.get("requester"):
            self.initial["requester"] = (
                User.objects.filter(username="monitoring").values_list("pk", flat=True).first()
            )
        self.initial.setdefault("impact", Level.MEDIUM)
        self.initial.setdefault("urgency", Level.MEDIUM)


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    source = forms.ModelChoiceField(queryset=None, required=False, empty_label="— all sources —")
    matchers = forms.CharField(
        required=False,
        label="Label matchers",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "severity=critical\nservice=~crm|erp"}
        ),
        help_text="One per line: label=value, label!=value, label=~regex, label!~regex. All must "
        "hold; none matches every alert.",
    )
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="— from labels —")
    ci = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— from labels —", label="CI"
    )
    team = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— owner of the CI or service —"
    )
    impact = _level("Impact", required=False)
    urgency = _level("Urgency", required=False)
    title_template = forms.CharField(
        max_length=200,
        required=False,
        label="Title template",
        help_text="e.g. {alertname} on {instance}; empty: the alert's summary.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources_list()
        self.fields["service"].queryset = services_all()
        self.fields["ci"].queryset = items_all()
        self.fields["team"].queryset = teams_all()

    def clean_matchers(self) -> list[dict[str, str]]:
        try:
            return rules.parse_matchers(self.cleaned_data.get("matchers") or "")
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
