"""Pure policy for monitoring intake: the normalised alert, fingerprints, label matchers, the
ticket text an alert gets, and when a person has touched an alert-born incident."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from backline.core.errors import DomainError
from backline.intake.choices import MatchOp

MAX_MATCHERS = 20
_TEMPLATE_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Labels that may name a CI (by exact CI name), most specific first; `instance` loses its port.
CI_LABELS = ("ci", "host", "hostname", "instance", "job")
SERVICE_LABELS = ("service", "app", "application")


@dataclass(frozen=True)
class Incoming:
    """One alert from any payload format, in one shape."""

    status: str
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    url: str = ""
    title: str = ""  # generic payloads name the alert themselves
    links: tuple[tuple[str, str], ...] = ()  # (label, url): dashboard, panel, silence
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return (self.title or self.labels.get("alertname") or self.fingerprint)[:200]


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """A stable fingerprint for payloads without one: the hash of the sorted label set."""
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def real_time(value: datetime | None) -> datetime | None:
    """Alertmanager sends endsAt 0001-01-01 for firing alerts: that means "no time"."""
    if value is None or value.year < 1971:
        return None
    return value


# --- matchers ---------------------------------------------------------------------------------

_MATCHER_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


def parse_matchers(text: str) -> list[dict[str, str]]:
    """`severity=critical`, one per line (or `!=`, `=~`, `!~`) → the stored matchers."""
    out: list[dict[str, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        found = _MATCHER_LINE.match(line)
        if found is None:
            raise DomainError(
                f"Line {number}: write label=value (or !=, =~, !~), e.g. severity=critical.",
                field="matchers",
            )
        label, op, value = found.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.append({"label": label, "op": op, "value": value})
    check_matchers(out)
    return out


def check_matchers(matchers: Sequence[Mapping[str, str]]) -> None:
    """Refuse unknown operators, broken regexes and too many matchers, naming the field."""
    if len(matchers) > MAX_MATCHERS:
        raise DomainError(f"At most {MAX_MATCHERS} matchers per rule.", field="matchers")
    for m in matchers:
        if m.get("op") not in MatchOp.values or not m.get("label"):
            raise DomainError(f"Bad matcher {dict(m)!r}.", field="matchers")
        if m["op"] in (MatchOp.RE, MatchOp.NRE):
            try:
                re.compile(m.get("value", ""))
            except re.error as exc:
                raise DomainError(
                    f"{m['label']}{m['op']}{m.get('value', '')}: not a valid regex ({exc}).",
                    field="matchers",
                ) from exc


def matchers_text(matchers: Iterable[Mapping[str, str]]) -> str:
    return "\n".join(f"{m['label']}{m['op']}{m['value']}" for m in matchers)


def matches(matchers: Iterable[Mapping[str, str]], labels: Mapping[str, str]) -> bool:
    """All matchers hold (a missing label is the empty string, as in Prometheus)."""
    for m in matchers:
        value = labels.get(m["label"], "")
        op, wanted = m["op"], m.get("value", "")
        if op == MatchOp.EQ and value != wanted:
            return False
        if op == MatchOp.NE and value == wanted:
            return False
        if op in (MatchOp.RE, MatchOp.NRE):
            hit = re.fullmatch(wanted, value) is not None
            if hit != (op == MatchOp.RE):
                return False
    return True


class RuleLike(Protocol):
    matchers: Any
    is_active: bool
    source_id: int | None


R = TypeVar("R", bound=RuleLike)


def first_match(rules: Sequence[R], labels: Mapping[str, str], source_id: int) -> R | None:
    """The first active rule, in order, for this source (or all sources) whose matchers hold."""
    for rule in rules:
        if not rule.is_active or rule.source_id not in (None, source_id):
            continue
        if matches(rule.matchers or [], labels):
            return rule
    return None


# --- ticket text ------------------------------------------------------------------------------


def render_title(template: str, alert: Incoming) -> str:
    """`{alertname} on {instance}`: labels, then annotations; an unknown name becomes empty."""
    values = {**alert.annotations, **alert.labels}
    text = _TEMPLATE_VAR.sub(lambda m: values.get(m.group(1), ""), template)
    return " ".join(text.split())[:200]


def default_title(alert: Incoming) -> str:
    summary = alert.annotations.get("summary") or alert.annotations.get("title") or alert.title
    if summary:
        return " ".join(summary.split())[:200]
    where = alert.labels.get("instance") or alert.labels.get("service") or alert.labels.get("job")
    return f"{alert.name} on {where}"[:200] if where else alert.name


def ticket_title(template: str, alert: Incoming) -> str:
    return (render_title(template, alert) if template else "") or default_title(alert)


def describe(alert: Incoming, source_name: str) -> str:
    """The incident description: what the alert says, its labels, when it started and links."""
    parts: list[str] = []
    text = alert.annotations.get("description") or alert.annotations.get("message")
    summary = alert.annotations.get("summary")
    if summary:
        parts.append(summary)
    if text and text != summary:
        parts.append(text)
    parts.append(f"Raised by {source_name} (alert {alert.name}, fingerprint {alert.fingerprint}).")
    if alert.starts_at:
        parts.append(f"Firing since {alert.starts_at.isoformat(timespec='seconds')}.")
    if alert.labels:
        parts.append(
            "Labels:\n" + "\n".join(f"- {k}: {v}" for k, v in sorted(alert.labels.items()))
        )
    others = {
        k: v for k, v in alert.annotations.items() if k not in {"summary", "description", "message"}
    }
    if others:
        parts.append("Annotations:\n" + "\n".join(f"- {k}: {v}" for k, v in sorted(others.items())))
    if alert.values:
        parts.append("Values: " + ", ".join(f"{k}={v}" for k, v in sorted(alert.values.items())))
    links = ([("Source", alert.url)] if alert.url else []) + list(alert.links)
    if links:
        parts.append("\n".join(f"{label}: {url}" for label, url in links if url))
    return "\n\n".join(parts)


def ci_candidates(labels: Mapping[str, str]) -> list[str]:
    """CI names the labels may hold, most specific first (`instance` without its port)."""
    out: list[str] = []
    for name in CI_LABELS:
        value = labels.get(name, "").strip()
        if not value:
            continue
        if name == "instance" and re.fullmatch(r"[^\s:]+:\d+", value):
            value = value.rsplit(":", 1)[0]
        if value not in out:
            out.append(value)
    return out


def service_candidates(labels: Mapping[str, str]) -> list[str]:
    return [labels[n].strip() for n in SERVICE_LABELS if labels.get(n, "").strip()]


# --- touched ----------------------------------------------------------------------------------


def touched_by_people(actor_ids: Iterable[int | None], automated: Iterable[int]) -> bool:
    """A person touched the incident if any event on it has an actor other than the accounts
    monitoring acts as (events without an actor, such as SLA warnings, are the system's)."""
    machines = set(automated)
    return any(a is not None and a not in machines for a in actor_ids)


def resolved_note(local: str) -> str:
    return (
        f"The alert resolved at {local}. People have worked on this incident, so it stays open: "
        "resolve it when you have confirmed the service is healthy."
    )


AUTO_RESOLUTION = "Resolved by the monitoring system: the alert cleared at {local}."
