"""Forms for the SLA policy and business calendar settings pages."""

from __future__ import annotations

from typing import Any

from django import forms

from backline.accounts.models import Team
from backline.cmdb.models import Service
from backline.sla.choices import WEEKDAYS, SlaAction
from backline.sla.models import BusinessCalendar, SlaPolicy
from backline.tickets.choices import PendingReason, Priority, Source
from backline.tickets.models import Category

_CHECKS = forms.CheckboxSelectMultiple
_POLICY_FIELDS = (
    *("name", "is_active", "calendar", "first_response_minutes", "resolution_minutes"),
    *("warn_share", "priorities", "sources", "pause_reasons", "warning_actions", "breach_actions"),
)


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=120)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    calendar = forms.ModelChoiceField(queryset=BusinessCalendar.objects.all(), required=False)
    first_response_minutes = forms.IntegerField(
        required=False, label="First response (business minutes)"
    )
    resolution_minutes = forms.IntegerField(required=False, label="Resolution (business minutes)")
    warn_share = forms.FloatField(
        required=False, initial=0.75, help_text="Warn at this share of the target (0.75 = 75 %)"
    )
    priorities = forms.TypedMultipleChoiceField(
        choices=Priority.choices, coerce=int, required=False, widget=_CHECKS, help_text="None: any"
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.order_by("name"), required=False, help_text="None: any"
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"), required=False, help_text="None: any"
    )
    sources = forms.MultipleChoiceField(
        choices=Source.choices, required=False, widget=_CHECKS, help_text="None: any"
    )
    requester_teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text="The requester belongs to one of these teams; none: anyone",
    )
    pause_reasons = forms.MultipleChoiceField(
        choices=PendingReason.choices,
        required=False,
        widget=_CHECKS,
        help_text="Pending for these reasons pauses the clocks",
    )
    warning_actions = forms.MultipleChoiceField(
        choices=SlaAction.choices, required=False, widget=_CHECKS
    )
    breach_actions = forms.MultipleChoiceField(
        choices=SlaAction.choices, required=False, widget=_CHECKS
    )
    ola_2_accept = forms.IntegerField(required=False, label="L2 accepts within (minutes)")
    ola_2_resolve = forms.IntegerField(required=False, label="L2 resolves within (minutes)")
    ola_3_accept = forms.IntegerField(required=False, label="L3 accepts within (minutes)")
    ola_3_resolve = forms.IntegerField(required=False, label="L3 resolves within (minutes)")

    MAIN = ("name", "is_active", "calendar", "first_response_minutes", "resolution_minutes")
    CONDITIONS = ("priorities", "categories", "services", "sources", "requester_teams")
    BEHAVIOUR = ("warn_share", "pause_reasons", "warning_actions", "breach_actions")
    OLA = ("ola_2_accept", "ola_2_resolve", "ola_3_accept", "ola_3_resolve")

    def section(self, names: tuple[str, ...]) -> list:
        return [self[name] for name in names]

    def main_fields(self) -> list:
        return self.section(self.MAIN)

    def condition_fields(self) -> list:
        return self.section(self.CONDITIONS)

    def behaviour_fields(self) -> list:
        return self.section(self.BEHAVIOUR)

    def ola_fields(self) -> list:
        return self.section(self.OLA)

    @staticmethod
    def initial_for(policy: SlaPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(policy, name) for name in _POLICY_FIELDS}
        for name in ("categories", "services", "requester_teams"):
            initial[name] = list(getattr(policy, name).all())
        for ola in policy.ola_targets.all():
            initial[f"ola_{ola.tier}_accept"] = ola.accept_minutes
            initial[f"ola_{ola.tier}_resolve"] = ola.resolve_minutes
        return initial

    def changes(self) -> dict[str, Any]:
        """The cleaned values in the shape sla.services.sla_policy_save takes."""
        data = dict(self.cleaned_data)
        ola = {
            tier: {
                "accept_minutes": data.pop(f"ola_{tier}_accept"),
                "resolve_minutes": data.pop(f"ola_{tier}_resolve"),
            }
            for tier in (2, 3)
        }
        if data.get("warn_share") is None:
            data["warn_share"] = 0.75
        data["ola_targets"] = ola
        return data


def parse_spans(text: str) -> list[list[str]]:
    """ "08:00-12:00, 13:00-17:00" → [["08:00", "12:00"], ["13:00", "17:00"]]; "" → []."""
    spans = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        start, sep, end = part.replace("–", "-").partition("-")
        if not sep:
            raise forms.ValidationError(f"Write hours like 08:00-17:00, not {part!r}.")
        spans.append([start.strip(), end.strip()])
    return spans


def format_spans(spans: list) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans or [])


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=100)
    timezone = forms.CharField(max_length=64, initial="Europe/Berlin", label="Time zone")
    mon = forms.CharField(required=False, label="Monday", initial="08:00-17:00")
    tue = forms.CharField(required=False, label="Tuesday", initial="08:00-17:00")
    wed = forms.CharField(required=False, label="Wednesday", initial="08:00-17:00")
    thu = forms.CharField(required=False, label="Thursday", initial="08:00-17:00")
    fri = forms.CharField(required=False, label="Friday", initial="08:00-17:00")
    sat = forms.CharField(required=False, label="Saturday")
    sun = forms.CharField(required=False, label="Sunday")
    country = forms.CharField(
        required=False, max_length=8, help_text="Public holidays of this country, e.g. DE"
    )
    subdivision = forms.CharField(required=False, max_length=16, help_text="e.g. BY")
    closed_dates = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Extra closed dates, one per line: 2026-12-24",
    )
    extra_working_days = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Dates opened with their own hours, one per line: 2026-12-19 09:00-13:00",
    )

    MAIN = ("name", "timezone", "country", "subdivision")

    def main_fields(self) -> list:
        return [self[name] for name in self.MAIN]

    def week_fields(self) -> list:
        return [self[day] for day in WEEKDAYS]

    def date_fields(self) -> list:
        return [self["closed_dates"], self["extra_working_days"]]

    @staticmethod
    def initial_for(record: BusinessCalendar) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": record.name,
            "timezone": record.timezone,
            "country": record.country,
            "subdivision": record.subdivision,
            "closed_dates": "\n".join(record.closed_dates),
            "extra_working_days": "\n".join(
                f"{day} {format_spans(spans)}" for day, spans in record.extra_working_days.items()
            ),
        }
        for day in WEEKDAYS:
            initial[day] = format_spans(record.week.get(day, []))
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for day in WEEKDAYS:
            try:
                data[day] = parse_spans(data.get(day, ""))
            except forms.ValidationError as exc:
                self.add_error(day, exc)
        extra: dict[str, list[list[str]]] = {}
        for line in (data.get("extra_working_days") or "").splitlines():
            if not line.strip():
                continue
            day, _, spans = line.strip().partition(" ")
            try:
                extra[day] = parse_spans(spans)
            except forms.ValidationError as exc:
                self.add_error("extra_working_days", exc)
            if not extra.get(day):
                self.add_error("extra_working_days", f"Give hours for {day}: {day} 09:00-13:00.")
        data["extra"] = extra
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "timezone": data["timezone"],
            "week": {day: data[day] for day in WEEKDAYS if data[day]},
            "country": data["country"],
            "subdivision": data["subdivision"],
            "closed_dates": (data["closed_dates"] or "").replace(",", "\n").split(),
            "extra_working_days": data["extra"],
        }
