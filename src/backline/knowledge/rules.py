"""Pure knowledge-base policy: the article state machine, who reads which audience, staleness,
version diffs and the draft an incident suggests. No ORM here."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from backline.core.errors import DomainError
from backline.knowledge.choices import ArticleState, Audience

S = ArticleState

# A published article is due for its owner's review this long after publication by default.
REVIEW_PERIOD = timedelta(days=182)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    editor_only: bool  # only Level 2+ agents and managers may take it
    needs_note: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", "Submit for review", frozenset({S.DRAFT}), S.REVIEW, False),
        Transition("publish", "Publish", frozenset({S.DRAFT, S.REVIEW}), S.PUBLISHED, True),
        Transition("reject", "Send back to draft", frozenset({S.REVIEW}), S.DRAFT, True, True),
        Transition("retire", "Retire", frozenset({S.PUBLISHED}), S.RETIRED, True, True),
        Transition("restore", "Restore to draft", frozenset({S.RETIRED}), S.DRAFT, True),
    )
}


def available_actions(state: str, *, editor: bool) -> list[Transition]:
    """The transitions a user may take from `state`, in display order."""
    return [t for t in TRANSITIONS.values() if state in t.sources and (editor or not t.editor_only)]


def check_transition(state: str, action: str, *, editor: bool, note: str) -> Transition:
    """The transition for `action` from `state`, or a DomainError naming what is wrong."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(
            f"Unknown action {action!r}; expected one of {', '.join(TRANSITIONS)}.",
            code="unknown_action",
            field="action",
        )
    if state not in transition.sources:
        raise DomainError(
            f"Cannot {action} an article that is {S(state).label.lower()}.",
            code="invalid_transition",
            field="action",
        )
    if transition.editor_only and not editor:
        raise DomainError(
            f"Only Level 2 engineers and managers can {transition.label.lower()}.",
            code="forbidden",
            field="action",
        )
    if transition.needs_note and not note.strip():
        raise DomainError("Say why in a note.", field="note")
    return transition


def readable_audiences(*, staff: bool, tier: int, manager: bool) -> tuple[str, ...]:
    """Audiences whose published articles a user may read: requesters public ones, Level 1
    agents also L1 ones, Level 2+ agents and managers internal ones too."""
    if not staff:
        return (Audience.PUBLIC,)
    if manager or tier >= 2:
        return (Audience.PUBLIC, Audience.L1, Audience.INTERNAL)
    return (Audience.PUBLIC, Audience.L1)


def is_editor(*, staff: bool, tier: int, manager: bool) -> bool:
    """Level 2+ agents and managers review, publish and retire articles."""
    return staff and (manager or tier >= 2)


def is_stale(state: str, review_by: date | None, today: date) -> bool:
    """A published article past its review-by day needs its owner to check it."""
    return state == S.PUBLISHED and review_by is not None and review_by < today


@dataclass(frozen=True)
class FieldDiff:
    field: str
    lines: list[tuple[str, str]]  # (" " | "+" | "-", text)


def diff_versions(
    old: Mapping[str, str], new: Mapping[str, str], fields: tuple[str, ...]
) -> list[FieldDiff]:
    """Line diffs of each field that changed between two versions."""
    out = []
    for field in fields:
        before, after = str(old.get(field) or ""), str(new.get(field) or "")
        if before == after:
            continue
        lines = []
        for line in difflib.ndiff(before.splitlines(), after.splitlines()):
            tag = line[:1]
            if tag in {" ", "+", "-"}:
                lines.append((tag, line[2:]))
        out.append(FieldDiff(field, lines))
    return out


@dataclass(frozen=True)
class Draft:
    title: str
    symptoms: str
    cause: str
    resolution: str
    body: str
    keywords: str


def _section(heading: str, text: str) -> str:
    text = text.strip()
    return f"### {heading}\n\n{text}" if text else ""


def draft_from_incident(
    *,
    title: str,
    description: str,
    resolution_notes: str,
    cause_label: str,
    package: Mapping[str, str],
    notes: list[str],
    keywords: list[str],
) -> Draft:
    """The article a resolved incident suggests: what was seen, why, and what fixed it.

    `package` is the latest hand-off package (summary, hypothesis, steps_taken, log_excerpts…),
    `notes` the internal notes in order; the author edits the result before it is published.
    """
    symptoms = "\n\n".join(
        p for p in (description.strip(), package.get("summary", "").strip()) if p
    )
    cause_parts = [cause_label.strip(), package.get("hypothesis", "").strip()]
    cause = "\n\n".join(p for p in cause_parts if p)
    body_parts = [
        _section("What did not help", package.get("steps_taken", "")),
        _section("Log excerpts", _fence(package.get("log_excerpts", ""))),
        _section("Investigation notes", "\n\n".join(f"- {n.strip()}" for n in notes if n.strip())),
    ]
    words: list[str] = []
    for word in keywords:
        if word and word.lower() not in {w.lower() for w in words}:
            words.append(word)
    return Draft(
        title=title.strip()[:200],
        symptoms=symptoms,
        cause=cause,
        resolution=resolution_notes.strip(),
        body="\n\n".join(p for p in body_parts if p),
        keywords=", ".join(words)[:300],
    )


def _fence(text: str) -> str:
    text = text.strip()
    return f"```\n{text}\n```" if text else ""


def deflection_rate(l1_resolved: int, l1_resolved_with_kb: int) -> float | None:
    """KB deflection: L1-resolved tickets that used an article / L1-resolved tickets."""
    if l1_resolved <= 0:
        return None
    return l1_resolved_with_kb / l1_resolved
