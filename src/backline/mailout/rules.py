"""Pure email-out policy: default kinds per role, the subject, the thread headers, the retry
schedule and which SMTP answers are final. No ORM here."""

from __future__ import annotations

from datetime import timedelta

from backline.mailout.choices import EmailKind

REQUESTER_KINDS: tuple[str, ...] = (EmailKind.REPLY, EmailKind.RESOLVED, EmailKind.NEED_INFO)
STAFF_KINDS: tuple[str, ...] = (
    EmailKind.ASSIGNED,
    EmailKind.ESCALATED,
    EmailKind.MENTION,
    EmailKind.SLA_WARNING,
    EmailKind.REQUESTER_REPLIED,
)
# Managers and admins also receive the weekly operations report (not about a ticket).
MANAGER_KINDS: tuple[str, ...] = (EmailKind.WEEKLY_REPORT,)
# Every kind is on by default for those who can receive it: each one is about the person's own
# request or own work, and they turn off what they find noisy. Staff also raise requests of
# their own, so they can receive the requester kinds too.
DEFAULT_REQUESTER_KINDS = REQUESTER_KINDS
DEFAULT_STAFF_KINDS = REQUESTER_KINDS + STAFF_KINDS


def kinds_for(is_staff: bool, is_manager: bool = False) -> tuple[str, ...]:
    """The kinds a user can receive (and so choose between): requesters only their own,
    managers the weekly report on top of the staff kinds."""
    if not is_staff:
        return REQUESTER_KINDS
    return REQUESTER_KINDS + STAFF_KINDS + (MANAGER_KINDS if is_manager else ())


def default_kinds(is_staff: bool, is_manager: bool = False) -> tuple[str, ...]:
    if not is_staff:
        return DEFAULT_REQUESTER_KINDS
    return DEFAULT_STAFF_KINDS + (MANAGER_KINDS if is_manager else ())


def wants(kind: str, *, is_staff: bool, chosen: list[str] | None, is_manager: bool = False) -> bool:
    """Whether a user receives `kind`: their choice when they made one, else the defaults."""
    if kind not in kinds_for(is_staff, is_manager):
        return False
    return kind in (default_kinds(is_staff, is_manager) if chosen is None else chosen)


def check_kinds(values: list[str], *, is_staff: bool, is_manager: bool = False) -> list[str]:
    """The chosen kinds in catalogue order; kinds the role cannot receive are dropped."""
    chosen = set(values)
    return [k for k in kinds_for(is_staff, is_manager) if k in chosen]


def subject_for(number: str, title: str) -> str:
    """`[INC-000123] <title>`: the number lets a reply thread even when headers are lost."""
    title = " ".join((title or "").split())
    return f"[{number}] {title}"[:300]


def thread_headers(first: str, last: str) -> tuple[str, str]:
    """(In-Reply-To, References) for a new message in a thread that began with `first` and
    whose latest message is `last` (either may be empty)."""
    refs = [m for m in dict.fromkeys((first, last)) if m]
    return (last or first), " ".join(refs)


def retry_delay(attempt: int, *, base: float, cap: float, jitter: float) -> timedelta:
    """Wait after failed attempt `attempt` (1-based): base × 2^(attempt-1), capped, plus up to a
    quarter more by `jitter` in [0, 1), so a mail server outage does not end in a stampede."""
    seconds = min(cap, base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=seconds * (1 + 0.25 * jitter))


def is_permanent(code: int | None) -> bool:
    """An SMTP 5xx is the server's final word (no such mailbox, refused): retrying cannot help."""
    return code is not None and 500 <= code < 600


def gives_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
