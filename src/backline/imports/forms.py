"""The new-import form: the file, its kind, the column → field selects, group → tier rows."""

from __future__ import annotations

from typing import Any

from django import forms

from backline.imports import rules
from backline.imports.models import ImportKind

GROUP_ROWS = 4  # blank group → tier rows offered when the file shows no groups
TIER_CHOICES = [("", "—"), ("1", "L1"), ("2", "L2"), ("3", "L3")]
FIELD_LABELS = {
    "ticket_id": "Ticket id",
    "case_id": "Case id",
    "opened": "Opened",
    "resolved": "Resolved",
    "closed": "Closed",
    "priority": "Priority",
    "category": "Category",
    "team": "Team (group)",
    "assignee": "Assignee",
    "status": "Status",
    "title": "Title",
    "activity": "Activity",
    "timestamp": "Timestamp",
    "resource": "Resource (person)",
    "group": "Group (team)",
}


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, with a header line")
    kind = forms.ChoiceField(choices=ImportKind.choices, initial=ImportKind.EVENT_LOG)
    system = forms.SlugField(
        label="Source system",
        max_length=30,
        help_text="A slug such as servicenow; imported tickets are tagged with it and the id",
    )
    timestamp_format = forms.CharField(
        label="Timestamp format",
        required=False,
        help_text="strptime format, e.g. %d.%m.%Y %H:%M; empty for ISO 8601",
    )
    timezone = forms.CharField(
        label="Time zone",
        initial="UTC",
        help_text="For times without an offset, e.g. Europe/Berlin",
    )
    activities = forms.CharField(
        label="Extra activities",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: Activity = action (" + ", ".join(rules.ACTIONS) + ")",
    )
    dry_run = forms.BooleanField(
        label="Dry run: check and report, write nothing", required=False, initial=True
    )


def mapping_from_post(data: Any, kind: str) -> dict[str, Any]:
    """The mapping JSON from the editor's fields (map_<field>, group_name_N, group_tier_N)."""
    columns = {}
    for name in rules.FIELDS.get(kind, ()):
        column = (data.get(f"map_{name}") or "").strip()
        if column:
            columns[column] = name
    groups: dict[str, Any] = {}
    for key in data:
        if key.startswith("group_name_"):
            index = key.removeprefix("group_name_")
            group = (data.get(key) or "").strip()
            tier = (data.get(f"group_tier_{index}") or "").strip()
            if group and tier:
                groups[group] = int(tier) if tier.isdecimal() else tier
    activities = {}
    for line in (data.get("activities") or "").splitlines():
        activity, sep, action = line.partition("=")
        if sep and activity.strip():
            activities[activity.strip()] = action.strip()
    return {
        "system": (data.get("system") or "").strip(),
        "columns": columns,
        "groups": groups,
        "activities": activities,
        "timestamp_format": (data.get("timestamp_format") or "").strip(),
        "timezone": (data.get("timezone") or "UTC").strip(),
    }


def guess_column(field: str, header: list[str]) -> str:
    """The header column most likely meant for `field` (same name, or a common synonym)."""
    synonyms = {
        "case_id": ("case id", "case", "caseid", "case_id", "ticket", "incident", "number"),
        "ticket_id": ("ticket id", "id", "number", "ticket", "incident", "ticket_id"),
        "activity": ("activity", "event", "action", "concept:name"),
        "timestamp": ("timestamp", "time", "date", "time:timestamp", "complete timestamp"),
        "resource": ("resource", "user", "org:resource", "agent", "person"),
        "group": ("group", "team", "org:group", "assignment group"),
        "team": ("team", "group", "assignment group"),
        "opened": ("opened", "created", "opened at", "open date"),
        "resolved": ("resolved", "resolved at", "solved"),
        "closed": ("closed", "closed at"),
        "assignee": ("assignee", "assigned to", "owner"),
        "status": ("status", "state"),
    }
    wanted = synonyms.get(field, (field,))
    for h in header:
        if h.strip().lower() in wanted:
            return h
    return ""
