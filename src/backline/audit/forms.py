"""The audit page's filter form; it only parses input into an AuditFilter."""

from __future__ import annotations

from django import forms

from backline.audit.choices import AuditAction, AuditSource
from backline.audit.filters import AuditFilter

_DAY = forms.DateInput(attrs={"type": "date"})


class AuditFilterForm(forms.Form):
    actor = forms.CharField(max_length=150, required=False, label="Who")
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    source = forms.ChoiceField(choices=[("", "Any source"), *AuditSource.choices], required=False)
    object_type = forms.ChoiceField(required=False, label="Object type")
    object_id = forms.CharField(max_length=64, required=False, label="Object id")
    ip = forms.GenericIPAddressField(required=False, label="Address")
    since = forms.DateField(required=False, label="From", widget=_DAY)
    until = forms.DateField(required=False, label="To", widget=_DAY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from backline.audit.handlers import audited_labels

        self.fields["object_type"].choices = [
            ("", "Any object"),
            *((x, x) for x in audited_labels()),
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end is before the start.")
        return data

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return AuditFilter(
            actor=data.get("actor") or "",
            action=data.get("action") or None,
            source=data.get("source") or None,
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            ip=data.get("ip") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
