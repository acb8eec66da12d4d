"""Pure problem policy: the state machine, the 5 whys chain, action states and the overdue rule,
and the post-incident report as Markdown. No ORM here.

Problem states (TRANSITIONS): new → under investigation → root cause known → fix in progress →
resolved → closed. Any support staff member may move a problem forward, with two checks:
- "root cause known" and "resolve" need a root cause statement (the 5 whys lead to it, but the
  statement is what the report and the known error quote);
- "resolve" also needs every corrective action done or cancelled: the fix is in. Preventive
  actions may stay open (they are longer-term work that should not hold the problem open).
"close" needs a Closure. From resolved any closure fits; an open problem may be closed without a
fix only as "not reproducible", "duplicate" or "risk accepted" ("recurrence stopped" claims a fix
that worked, so it needs a resolved problem). "reopen" takes a resolved or closed problem back
under investigation. Closing and reopening are for the owner, the owning team's members and
managers (ROLE_GUARDED). A closed problem is read-only until it is reopened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from backline.core.errors import DomainError, PermissionDenied
from backline.problems.choices import ActionKind, ActionState, Closure, ProblemState

S = ProblemState
A = ActionState

# (state, action) → target state.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.NEW, "investigate"): S.INVESTIGATING,
    (S.NEW, "root_cause_known"): S.ROOT_CAUSE_KNOWN,
    (S.INVESTIGATING, "root_cause_known"): S.ROOT_CAUSE_KNOWN,
    (S.ROOT_CAUSE_KNOWN, "start_fix"): S.FIX_IN_PROGRESS,
    (S.ROOT_CAUSE_KNOWN, "resolve"): S.RESOLVED,
    (S.FIX_IN_PROGRESS, "resolve"): S.RESOLVED,
    (S.RESOLVED, "close"): S.CLOSED,
    (S.NEW, "close"): S.CLOSED,
    (S.INVESTIGATING, "close"): S.CLOSED,
    (S.ROOT_CAUSE_KNOWN, "close"): S.CLOSED,
    (S.FIX_IN_PROGRESS, "close"): S.CLOSED,
    (S.RESOLVED, "reopen"): S.INVESTIGATING,
    (S.CLOSED, "reopen"): S.INVESTIGATING,
}
ACTION_LABELS = {
    "investigate": "Start investigation",
    "root_cause_known": "Root cause known",
    "start_fix": "Fix in progress",
    "resolve": "Resolve",
    "close": "Close",
    "reopen": "Reopen",
}
ACTIONS = tuple(ACTION_LABELS)
ROLE_GUARDED = ("close", "reopen")
NEEDS_ROOT_CAUSE = ("root_cause_known", "resolve")
CLOSURES_WITHOUT_FIX = (Closure.NOT_REPRODUCIBLE, Closure.DUPLICATE, Closure.ACCEPTED_RISK)


@dataclass(frozen=True)
class ProblemFacts:
    """What the state machine needs to know about a problem."""

    state: str
    has_root_cause: bool = False
    open_corrective: int = 0
    may_close: bool = False  # owner, owning team member or manager


def check_transition(facts: ProblemFacts, action: str, closure: str = "") -> str:
    """The state `action` leads to, or a DomainError saying why not."""
    if action not in ACTION_LABELS:
        raise DomainError(
            f"Unknown action {action!r}; expected one of {', '.join(ACTIONS)}.", field="action"
        )
    target = TRANSITIONS.get((facts.state, action))
    if target is None:
        label = ProblemState(facts.state).label.lower()
        raise DomainError(
            f"A problem that is {label} cannot move to {ACTION_LABELS[action].lower()}.",
            field="action",
        )
    if action in ROLE_GUARDED and not facts.may_close:
        raise PermissionDenied(
            f"Only the owner, the owning team or a manager can {action} this problem."
        )
    if action in NEEDS_ROOT_CAUSE and not facts.has_root_cause:
        raise DomainError("Write the root cause statement first.", field="root_cause")
    if action == "resolve" and facts.open_corrective:
        n = facts.open_corrective
        raise DomainError(
            f"{n} corrective action{'s are' if n > 1 else ' is'} still open; finish or cancel "
            "them first.",
            field="actions",
        )
    if action == "close":
        check_closure(facts.state, closure)
    return target


def check_closure(state: str, closure: str) -> None:
    if closure not in Closure.values:
        raise DomainError("Choose how the problem ended.", field="closure")
    if state != S.RESOLVED and closure not in CLOSURES_WITHOUT_FIX:
        raise DomainError(
            f"“{Closure(closure).label}” needs a resolved problem; an open one closes as not "
            "reproducible, duplicate or risk accepted.",
            field="closure",
        )


def available_actions(facts: ProblemFacts) -> list[str]:
    """Actions the state allows for this user, in button order (the other checks say why not
    when the button is pressed, so the button stays visible)."""
    out = []
    for action in ACTIONS:
        if (facts.state, action) not in TRANSITIONS:
            continue
        if action in ROLE_GUARDED and not facts.may_close:
            continue
        out.append(action)
    return out


def check_editable(state: str) -> None:
    """A closed problem is a record; reopen it to change it."""
    if state == S.CLOSED:
        raise DomainError("The problem is closed; reopen it to change it.", field="state")


def check_priority(priority: object) -> int:
    if not isinstance(priority, int) or isinstance(priority, bool) or priority not in (1, 2, 3, 4):
        raise DomainError("Priority is 1 (critical) to 4 (low).", field="priority")
    return priority


# --- 5 whys ------------------------------------------------------------------------------------

MAX_WHYS = 10
MAX_WHY_CHARS = 2000


def check_whys(steps: Sequence[str]) -> list[str]:
    """The cleaned chain: 1 to 10 non-blank answers in order (an empty list clears the chain);
    the last answer is the root cause."""
    cleaned = [(s or "").strip() for s in steps]
    while cleaned and not cleaned[-1]:
        cleaned.pop()  # trailing empty rows of an editor are not steps
    if len(cleaned) > MAX_WHYS:
        raise DomainError(f"At most {MAX_WHYS} whys.", field="whys")
    for i, text in enumerate(cleaned):
        if not text:
            raise DomainError(f"Why {i + 1} is empty; a chain has no gaps.", field=f"whys.{i}")
        if len(text) > MAX_WHY_CHARS:
            raise DomainError(f"At most {MAX_WHY_CHARS} characters.", field=f"whys.{i}")
    return cleaned


def chain_root(steps: Sequence[str]) -> str:
    """The root cause the chain ends in ("" for no chain)."""
    return steps[-1] if steps else ""


# --- actions -----------------------------------------------------------------------------------

ACTION_TRANSITIONS: dict[tuple[str, str], str] = {
    (A.OPEN, "start"): A.IN_PROGRESS,
    (A.OPEN, "done"): A.DONE,
    (A.IN_PROGRESS, "done"): A.DONE,
    (A.OPEN, "cancel"): A.CANCELLED,
    (A.IN_PROGRESS, "cancel"): A.CANCELLED,
    (A.DONE, "reopen"): A.OPEN,
    (A.CANCELLED, "reopen"): A.OPEN,
}
ACTION_STEP_LABELS = {"start": "Start", "done": "Done", "cancel": "Cancel", "reopen": "Reopen"}
OPEN_ACTION_STATES = (A.OPEN, A.IN_PROGRESS)


def check_action_transition(state: str, step: str) -> str:
    if step not in ACTION_STEP_LABELS:
        raise DomainError(
            f"Unknown step {step!r}; expected one of {', '.join(ACTION_STEP_LABELS)}.",
            field="action",
        )
    target = ACTION_TRANSITIONS.get((state, step))
    if target is None:
        raise DomainError(
            f"A {ActionState(state).label.lower()} action cannot {step}.", field="action"
        )
    return target


def action_steps(state: str) -> list[str]:
    return [s for s in ACTION_STEP_LABELS if (state, s) in ACTION_TRANSITIONS]


def is_overdue(due_date: date | None, state: str, today: date) -> bool:
    """An open or started action past its due day (the due day itself is still on time)."""
    return due_date is not None and state in OPEN_ACTION_STATES and due_date < today


def open_corrective(actions: Iterable[tuple[str, str]]) -> int:
    """How many (kind, state) pairs are corrective actions not yet done or cancelled."""
    return sum(1 for k, s in actions if k == ActionKind.CORRECTIVE and s in OPEN_ACTION_STATES)


# --- the post-incident report ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportAction:
    kind: str
    title: str
    owner: str
    team: str
    due: date | None
    state: str
    overdue: bool
    change: str = ""  # "CHG-7 (done)"
    external_ref: str = ""


@dataclass(frozen=True)
class Report:
    number: str
    title: str
    state: str
    priority: int
    owner: str
    team: str
    statement: str
    services: list[str]
    cis: list[str]
    incidents: list[tuple[str, str, datetime]]  # number, title, opened
    timeline: list[tuple[datetime, str, list[str]]]  # when, what, evidence
    whys: list[str]
    factors: list[tuple[str, str]]  # category name, text
    root_cause: str
    cause_code: str
    actions: list[ReportAction] = field(default_factory=list)
    generated_at: datetime | None = None


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join((text or "").split()).replace("|", "\\|") or "—"


def _impact(report: Report) -> list[str]:
    n = len(report.incidents)
    lines = [f"- **Linked incidents:** {n}"]
    if report.incidents:
        opened = sorted(i[2] for i in report.incidents)
        lines.append(f"- **First incident:** {_when(opened[0])}")
        lines.append(f"- **Last incident:** {_when(opened[-1])}")
    lines.append(f"- **Services:** {', '.join(report.services) or '—'}")
    lines.append(f"- **Configuration items:** {', '.join(report.cis) or '—'}")
    return lines


def report_markdown(report: Report) -> str:
    """The post-incident report of a problem as Markdown."""
    out = [
        f"# Post-incident report: {report.number} {report.title}",
        "",
        f"State: {report.state} · Priority P{report.priority} · Owner: {report.owner or '—'}"
        f" · Team: {report.team or '—'}",
        "",
        "## Problem statement",
        "",
        report.statement or "_No statement._",
        "",
        "## Impact",
        "",
        *_impact(report),
    ]
    if report.incidents:
        out += ["", "| Incident | Title | Opened |", "| --- | --- | --- |"]
        out += [f"| {n} | {_cell(t)} | {_when(at)} |" for n, t, at in report.incidents]
    out += ["", "## Investigation timeline", ""]
    if report.timeline:
        out += ["| When | What happened | Evidence |", "| --- | --- | --- |"]
        for at, text, evidence in report.timeline:
            out.append(f"| {_when(at)} | {_cell(text)} | {_cell(', '.join(evidence))} |")
    else:
        out.append("_No timeline entries._")
    out += ["", "## 5 whys", ""]
    if report.whys:
        for i, text in enumerate(report.whys, 1):
            tag = " **(root cause)**" if i == len(report.whys) else ""
            out.append(f"{i}. {_cell(text)}{tag}")
    else:
        out.append("_No chain recorded._")
    out += ["", "## Contributing factors", ""]
    if report.factors:
        out += [f"- **{name}:** {_cell(text)}" for name, text in report.factors]
    else:
        out.append("_None recorded._")
    out += ["", "## Root cause", "", report.root_cause or "_Not yet known._"]
    if report.cause_code:
        out += ["", f"Cause code: **{report.cause_code}**"]
    out += ["", "## Corrective and preventive actions", ""]
    if report.actions:
        out += [
            "| Kind | Action | Owner | Due | State | Fix |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for a in report.actions:
            due = a.due.isoformat() if a.due else "—"
            state = f"{a.state} (overdue)" if a.overdue else a.state
            fix = ", ".join(x for x in (a.change, a.external_ref) if x)
            owner = a.owner + (f" ({a.team})" if a.team else "")
            out.append(
                f"| {a.kind} | {_cell(a.title)} | {_cell(owner)} | {due} | {state} | {_cell(fix)} |"
            )
    else:
        out.append("_No actions._")
    if report.generated_at:
        out += ["", "---", "", f"_Generated {_when(report.generated_at)} by Backline._"]
    return "\n".join(out) + "\n"


# --- numbers and evidence references -----------------------------------------------------------


def parse_number(value: str | int, prefix: str = "PRB-") -> int | None:
    """`PRB-12`, `prb-12` or `12` → 12 (None when it is not one)."""
    text = str(value).strip().upper().removeprefix(prefix)
    return int(text) if text.isdecimal() and 0 < len(text) <= 18 and int(text) > 0 else None


def parse_evidence(text: str) -> tuple[str, int] | None:
    """What an evidence reference points at: ("change", 7) for `CHG-7`, ("event", 34) for a
    ticket timeline link ending in `#event-34`, ("attachment", 5) for `…/attachments/5/`."""
    text = (text or "").strip()
    if not text:
        return None
    lower = text.lower().rstrip("/")
    if lower.startswith("chg-"):
        pk = parse_number(text, "CHG-")
        return ("change", pk) if pk else None
    for marker, kind in (("event-", "event"), ("attachments/", "attachment")):
        if marker in lower:
            pk = parse_number(lower.rsplit(marker, 1)[1], "")
            return (kind, pk) if pk else None
    return None
