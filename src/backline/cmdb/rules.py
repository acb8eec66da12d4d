"""Pure CMDB policy: attribute schemas of CI types and values checked against them, the parsing of
imported cells, dependency sanity and expiry. No ORM here; errors are `DomainError`s (or
`ValueError` reasons for single cells) naming the field at fault."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from backline.cmdb.choices import AttributeType, CiStatus, Criticality, DependencyKind, Environment
from backline.core.errors import DomainError

ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_LIMIT = 500
MAX_ATTRIBUTES = 40
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _fail(errors: list[dict[str, str]]) -> None:
    if errors:
        raise DomainError(errors[0]["message"], field=errors[0]["field"], errors=errors)


# --- CI type schemas ---------------------------------------------------------------------------


def check_schema(attributes: Any) -> list[dict[str, Any]]:
    """A CI type's attribute list, normalised: [{name, type, required, choices?}, …].
    Names are lower_snake_case and unique; `choice` needs at least one choice."""
    if not isinstance(attributes, list):
        raise DomainError("Attributes must be a list.", field="attributes")
    if len(attributes) > MAX_ATTRIBUTES:
        raise DomainError(f"At most {MAX_ATTRIBUTES} attributes.", field="attributes")
    out: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, spec in enumerate(attributes):
        where = f"attributes.{i}"
        if not isinstance(spec, Mapping):
            errors.append({"field": where, "message": "Each attribute must be an object."})
            continue
        name = str(spec.get("name") or "").strip()
        kind = str(spec.get("type") or AttributeType.TEXT)
        if not ATTRIBUTE_NAME.match(name):
            errors.append(
                {"field": f"{where}.name", "message": f"{name!r} is not a valid attribute name "
                 "(lower case letters, digits and _, starting with a letter)."}
            )  # fmt: skip
            continue
        if name in seen:
            errors.append({"field": f"{where}.name", "message": f"{name} appears twice."})
            continue
        if kind not in AttributeType.values:
            errors.append({"field": f"{where}.type", "message": f"Unknown type {kind!r}."})
            continue
        seen.add(name)
        item: dict[str, Any] = {"name": name, "type": kind, "required": bool(spec.get("required"))}
        if kind == AttributeType.CHOICE:
            choices = [str(c).strip() for c in spec.get("choices") or [] if str(c).strip()]
            if not choices:
                errors.append({"field": f"{where}.choices", "message": f"{name} needs choices."})
                continue
            item["choices"] = list(dict.fromkeys(choices))
        out.append(item)
    _fail(errors)
    return out


# --- attribute values --------------------------------------------------------------------------


def coerce_value(spec: Mapping[str, Any], raw: Any) -> Any:
    """One attribute value in its declared type (strings from forms and CSV are parsed too);
    raises ValueError with the reason."""
    kind = spec.get("type", AttributeType.TEXT)
    text = raw.strip() if isinstance(raw, str) else raw
    if kind == AttributeType.BOOLEAN:
        return parse_bool(text)
    if kind == AttributeType.INTEGER:
        if isinstance(text, bool) or not isinstance(text, int | str):
            raise ValueError("must be a whole number")
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if kind == AttributeType.NUMBER:
        if isinstance(text, bool) or not isinstance(text, int | float | str):
            raise ValueError("must be a number")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        return text if isinstance(text, int) else value
    if not isinstance(text, str):
        raise ValueError("must be text")
    if len(text) > TEXT_LIMIT:
        raise ValueError(f"at most {TEXT_LIMIT} characters")
    if kind == AttributeType.DATE:
        return parse_date(text).isoformat()
    if kind == AttributeType.URL:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{text!r} is not an http(s) URL")
        return text
    if kind == AttributeType.CHOICE:
        choices = list(spec.get("choices") or [])
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
    return text


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_attributes(schema: Sequence[Mapping[str, Any]], values: Any) -> dict[str, Any]:
    """`values` checked against a CI type's schema: no unknown keys, required ones present, each
    in its type. Returns the typed values (blanks dropped); every problem is reported at once,
    each naming `attributes.<name>`."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise DomainError("Attributes must be an object.", field="attributes")
    specs = {s["name"]: s for s in schema}
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key in values:
        if key not in specs:
            known = ", ".join(specs) or "none"
            errors.append(
                {"field": f"attributes.{key}", "message": f"Unknown attribute (known: {known})."}
            )
    for name, spec in specs.items():
        raw = values.get(name)
        if _blank(raw):
            if spec.get("required"):
                errors.append({"field": f"attributes.{name}", "message": f"{name} is required."})
            continue
        try:
            out[name] = coerce_value(spec, raw)
        except ValueError as exc:
            errors.append({"field": f"attributes.{name}", "message": f"{name}: {exc}."})
    _fail(errors)
    return out


# --- cells (forms, CSV, API query strings) -----------------------------------------------------


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not yes/no (true/false, 1/0)")


def parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def parse_criticality(raw: str) -> int:
    """1–4 or a label (critical, high, medium, low)."""
    text = raw.strip().lower()
    for value, label in Criticality.choices:
        if text in (str(value), label.lower()):
            return int(value)
    raise ValueError(f"{raw!r} is not a criticality (critical, high, medium, low or 1–4)")


def parse_choice(raw: str, choices: Any, what: str) -> str:
    """A TextChoices value given by value or label, case-insensitively."""
    text = raw.strip().lower()
    for value, label in choices.choices:
        if text in (value, label.lower()):
            return str(value)
    raise ValueError(f"{raw!r} is not a {what} ({', '.join(choices.values)})")


def parse_environment(raw: str) -> str:
    return parse_choice(raw, Environment, "environment")


def parse_status(raw: str) -> str:
    return parse_choice(raw, CiStatus, "status")


def parse_kind(raw: str) -> str:
    return parse_choice(raw.replace(" ", "_"), DependencyKind, "dependency kind")


# --- dependencies and expiry -------------------------------------------------------------------


def check_dependency(
    *, source_id: int, target_ci_id: int | None, target_service_id: int | None
) -> None:
    """Exactly one target, and never the source itself (cycles through others are allowed)."""
    if (target_ci_id is None) == (target_service_id is None):
        raise DomainError("Give either a target CI or a target service.", field="target_ci")
    if target_ci_id is not None and target_ci_id == source_id:
        raise DomainError("A CI cannot depend on itself.", field="target_ci", code="self_edge")


def expiry_state(expires_at: date | None, today: date, warning_days: int) -> str:
    """'' (no expiry or far off), 'soon' (within the warning window) or 'expired'."""
    if expires_at is None:
        return ""
    if expires_at < today:
        return "expired"
    if expires_at <= today + timedelta(days=warning_days):
        return "soon"
    return ""
