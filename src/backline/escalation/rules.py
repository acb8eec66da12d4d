"""Escalation policy without the ORM: required hand-off parts, what a package lacks, the trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backline.core.errors import DomainError
from backline.escalation.choices import PackagePart

# What a receiving team requires when it has not configured anything: L2 needs to know what the
# ticket is, what it costs the business and what L1 already tried; L3 (engineering) also needs to
# reproduce it and see the evidence.
DEFAULT_REQUIRED: dict[int, tuple[str, ...]] = {
    2: (PackagePart.SUMMARY, PackagePart.BUSINESS_IMPACT, PackagePart.STEPS_TAKEN),
    3: (
        PackagePart.SUMMARY,
        PackagePart.STEPS_TAKEN,
        PackagePart.REPRODUCTION_STEPS,
        PackagePart.EVIDENCE,
    ),
}

_PART_MESSAGES = {
    PackagePart.SUMMARY: "Summarise the problem for the receiving team.",
    PackagePart.BUSINESS_IMPACT: (
        "Say who is affected: users, services, or revenue or a deadline at risk."
    ),
    PackagePart.STEPS_TAKEN: "List what has already been tried.",
    PackagePart.EVIDENCE: "Attach evidence: pick attachments or paste log excerpts.",
    PackagePart.REPRODUCTION_STEPS: "Give the steps to reproduce the problem.",
    PackagePart.HYPOTHESIS: "Give your hypothesis of the cause.",
    PackagePart.URGENCY_JUSTIFICATION: "Say why this is urgent.",
}


def default_required(tier: int) -> list[str]:
    """The parts required by default for a team at `tier` (summary only below L2)."""
    return [str(p) for p in DEFAULT_REQUIRED.get(tier, (PackagePart.SUMMARY,))]


def clean_required(parts: Iterable[str]) -> list[str]:
    """Validate and order a team's required parts."""
    wanted = set(parts)
    unknown = wanted - set(PackagePart.values)
    if unknown:
        raise DomainError(f"Unknown package part {sorted(unknown)[0]!r}.", field="required")
    return [p for p in PackagePart.values if p in wanted]


@dataclass(frozen=True)
class Package:
    """The hand-off package as plain values."""

    summary: str = ""
    impact_users: int | None = None
    impact_services: str = ""
    impact_at_risk: str = ""
    steps_taken: str = ""
    reproduction_steps: str = ""
    hypothesis: str = ""
    urgency_justification: str = ""
    log_excerpts: str = ""
    evidence_count: int = 0

    def has(self, part: str) -> bool:
        if part == PackagePart.BUSINESS_IMPACT:
            return (
                bool(self.impact_users)
                or _filled(self.impact_services)
                or _filled(self.impact_at_risk)
            )
        if part == PackagePart.EVIDENCE:
            return self.evidence_count > 0 or _filled(self.log_excerpts)
        return _filled(getattr(self, part))


def _filled(text: str) -> bool:
    return bool(text and text.strip())


def missing_parts(package: Package, required: Sequence[str]) -> list[dict[str, str]]:
    """One error per required part the package lacks, naming the part as the field."""
    return [
        {"field": part, "message": _PART_MESSAGES[PackagePart(part)]}
        for part in required
        if not package.has(part)
    ]


def check_escalation(*, status_open: bool, from_tier: int, to_tier: int, pending: bool) -> None:
    """Refuse an escalation that is not a move up to a higher tier of an open, free ticket."""
    if not status_open:
        raise DomainError("Only open tickets can be escalated.", field="to_team")
    if pending:
        raise DomainError(
            "This ticket already waits for another team to accept it.",
            code="pending_escalation",
            field="to_team",
        )
    if to_tier <= from_tier:
        raise DomainError(
            f"Escalation goes up: choose a team above L{from_tier}. To hand the ticket down, "
            "de-escalate; to move it sideways, open a collaboration task or reassign it.",
            field="to_team",
        )


def check_deescalation(*, from_tier: int, to_tier: int, note: str, pending: bool) -> None:
    """De-escalation goes down a tier and says what was done and what to confirm."""
    if pending:
        raise DomainError("Accept or return the pending escalation first.", field="to_team")
    if to_tier >= from_tier:
        raise DomainError(
            f"De-escalation goes down: choose a team below L{from_tier}.", field="to_team"
        )
    if not _filled(note):
        raise DomainError("Say what was fixed and what the team should confirm.", field="note")


# Event kinds that move a ticket between teams, and how the trail names each move.
MOVE_KINDS = {
    "created": "created",
    "assigned": "reassigned",
    "escalated": "escalated",
    "returned": "returned",
    "deescalated": "de-escalated",
    "accepted": "accepted",
}


@dataclass
class Hop:
    """One stay of the ticket with a team."""

    team_id: int | None
    team: str
    tier: int
    how: str
    at: datetime | None = None
    bounced: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"L{self.tier} {self.team}"


def trail(events: Iterable[tuple[str, datetime | None, Mapping[str, Any]]]) -> list[Hop]:
    """The ticket's path through the teams, from its events (kind, time, data), oldest first.

    A hop is added whenever the team changes; `how` says why (escalated, returned, reassigned,
    de-escalated). A return, or a plain reassignment to a team that held the ticket before,
    is marked as a bounce.
    """
    hops: list[Hop] = []
    for kind, at, data in events:
        how = MOVE_KINDS.get(kind)
        if how is None:
            continue
        if kind == "created":
            team = data.get("team") or None
            hops.append(_hop(team, data.get("tier", 1), "created", at))
            continue
        change = (data.get("changes") or {}).get("team")
        if not change:
            continue
        team = change[1]
        if team is None:
            continue
        held = {h.team_id for h in hops}
        hop = _hop(team, data.get("tier", 1), how, at)
        hop.bounced = kind == "returned" or (kind == "assigned" and hop.team_id in held)
        hops.append(hop)
    return hops


def _hop(team: Mapping[str, Any] | None, tier: int, how: str, at: datetime | None) -> Hop:
    if team is None:
        return Hop(team_id=None, team="unrouted", tier=tier or 1, how=how, at=at)
    return Hop(
        team_id=team.get("id"), team=str(team.get("name", "")), tier=tier or 1, how=how, at=at
    )


def is_bounce_back(previous_team_ids: Iterable[int | None], new_team_id: int | None) -> bool:
    """A plain reassignment is a bounce when the new team held the ticket before."""
    return new_team_id is not None and new_team_id in set(previous_team_ids)


def median(values: Sequence[float]) -> float | None:
    """The median of `values`, or None for none."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
