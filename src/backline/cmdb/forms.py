"""HTML forms for the CMDB; they only parse input, the services and rules decide."""

from __future__ import annotations

from typing import Any

from django import forms

from backline.accounts.models import Team
from backline.cmdb.choices import AttributeType, CiStatus, Criticality, DependencyKind, Environment
from backline.cmdb.importer import KINDS
from backline.cmdb.models import CiType, ConfigurationItem, Service

ATTR_PREFIX = "attr_"


def _teams() -> Any:
    return Team.objects.order_by("name")


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_team = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    criticality = forms.TypedChoiceField(
        choices=Criticality.choices, coerce=int, initial=Criticality.MEDIUM
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = _teams()  # type: ignore[attr-defined]


def attribute_field(spec: dict[str, Any]) -> forms.Field:
    """A form field for one attribute of a CI type; the rules check the value on save."""
    kind, label = spec.get("type", AttributeType.TEXT), spec["name"].replace("_", " ")
    common: dict[str, Any] = {"required": False, "label": label.capitalize()}
    if kind == AttributeType.BOOLEAN:
        choices = [("", "—"), ("yes", "Yes"), ("no", "No")]
        return forms.ChoiceField(choices=choices, **common)
    if kind == AttributeType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *((c, c) for c in spec.get("choices", []))], **common
        )
    widgets: dict[str, forms.Widget] = {
        AttributeType.INTEGER: forms.NumberInput(attrs={"step": 1}),
        AttributeType.NUMBER: forms.NumberInput(attrs={"step": "any"}),
        AttributeType.DATE: forms.DateInput(attrs={"type": "date"}),
        AttributeType.URL: forms.URLInput(attrs={"placeholder": "https://"}),
    }
    return forms.CharField(max_length=500, widget=widgets.get(kind, forms.TextInput()), **common)


class CiForm(forms.Form):
    name = forms.CharField(max_length=160)
    ci_type = forms.ChoiceField(label="Type")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    owner_team = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    criticality = forms.TypedChoiceField(
        choices=Criticality.choices, coerce=int, initial=Criticality.MEDIUM
    )
    expires_at = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Credentials and certificates.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ci_type: CiType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = list(CiType.objects.order_by("name").values_list("slug", "name"))
        self.fields["ci_type"].choices = types  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["owner_team"].queryset = _teams()  # type: ignore[attr-defined]
        self.type_obj = ci_type
        for spec in ci_type.attributes if ci_type else []:
            field = attribute_field(spec)
            if spec.get("required"):
                field.label = f"{field.label} *"
            self.fields[ATTR_PREFIX + spec["name"]] = field

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]

    def main_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in self.fields
            if not name.startswith(ATTR_PREFIX) and name != "version"
        ]

    def attributes(self) -> dict[str, Any]:
        """The attribute values as typed in (strings; the rules parse them)."""
        return {
            name.removeprefix(ATTR_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(ATTR_PREFIX) and value not in ("", None)
        }


def item_initial(item: ConfigurationItem) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": item.name, "ci_type": item.ci_type, "service": item.service,
        "owner_team": item.owner_team, "environment": item.environment,
        "criticality": item.criticality, "expires_at": item.expires_at,
        "description": item.description, "version": item.version,
    }  # fmt: skip
    for key, value in (item.attributes or {}).items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        initial[ATTR_PREFIX + key] = value
    return initial


class DependencyForm(forms.Form):
    kind = forms.ChoiceField(choices=DependencyKind.choices, initial=DependencyKind.DEPENDS_ON)
    target = forms.ChoiceField(label="Target")

    def __init__(self, *args: Any, source: ConfigurationItem | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cis = ConfigurationItem.objects.order_by("name").values_list("pk", "name")
        if source is not None:
            cis = cis.exclude(pk=source.pk)
        services = Service.objects.order_by("name").values_list("pk", "name")
        self.fields["target"].choices = [  # type: ignore[attr-defined]
            ("", "— choose —"),
            ("Configuration items", [(f"ci:{pk}", name) for pk, name in cis]),
            ("Services", [(f"service:{pk}", name) for pk, name in services]),
        ]

    def target_ids(self) -> tuple[int | None, int | None]:
        kind, _, pk = self.cleaned_data["target"].partition(":")
        return (int(pk), None) if kind == "ci" else (None, int(pk))


class CiTypeForm(forms.Form):
    slug = forms.SlugField(max_length=40, help_text="Fixed once created: CIs refer to it.")
    name = forms.CharField(max_length=60)
    description = forms.CharField(max_length=200, required=False)
    attributes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text="One per line: name type [required] [choice, choice…]. Types: "
        + ", ".join(AttributeType.values)
        + ". Example: engine choice required postgresql, mysql",
    )
    has_expiry = forms.BooleanField(required=False, label="Items expire")
    expiry_warning_days = forms.IntegerField(min_value=0, max_value=3650, initial=14)

    def clean_attributes(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for n, line in enumerate(self.cleaned_data["attributes"].splitlines(), start=1):
            words = line.strip().split(None, 2)
            if not words:
                continue
            spec: dict[str, Any] = {
                "name": words[0],
                "type": words[1] if len(words) > 1 else "text",
            }
            rest = words[2] if len(words) > 2 else ""
            if rest.startswith("required"):
                spec["required"], rest = True, rest.removeprefix("required").strip()
            if rest:
                spec["choices"] = [c.strip() for c in rest.split(",") if c.strip()]
            if spec["type"] not in AttributeType.values:
                raise forms.ValidationError(f"Line {n}: unknown type {spec['type']!r}.")
            out.append(spec)
        return out


def schema_text(attributes: list[dict[str, Any]]) -> str:
    """A type's schema in the line format of CiTypeForm."""
    lines = []
    for a in attributes:
        parts = [a["name"], a.get("type", "text")]
        if a.get("required"):
            parts.append("required")
        if a.get("choices"):
            parts.append(", ".join(a["choices"]))
        lines.append(" ".join(parts))
    return "\n".join(lines)


class CiFilterForm(forms.Form):
    """The list page's filter controls (CiFilter parses the same query string)."""

    q = forms.CharField(required=False, max_length=200)
    type = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    environment = forms.ChoiceField(
        required=False, choices=[("", "Any environment"), *Environment.choices]
    )
    criticality = forms.ChoiceField(
        required=False, choices=[("", "Any criticality"), *Criticality.choices]
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CiStatus.choices])
    expiring = forms.BooleanField(required=False, label="Expiring soon")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", "Any type"),
            *CiType.objects.order_by("name").values_list("slug", "name"),
        ]
        self.fields["service"].choices = [  # type: ignore[attr-defined]
            ("", "Any service"),
            *((str(pk), n) for pk, n in Service.objects.order_by("name").values_list("pk", "name")),
        ]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k, {"cis": "Configuration items"}.get(k, k.capitalize())) for k in KINDS]
    )
    file = forms.FileField(label="CSV file")
