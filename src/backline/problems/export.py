"""The post-incident report of a problem: gathered from the database here, written as Markdown by
`rules.report_markdown`, and as HTML through the one Markdown renderer (so the HTML is sanitised
the same way every other Markdown text is)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString

from backline.accounts.models import User
from backline.core.markdown import render_markdown
from backline.problems import queries, rules
from backline.problems.models import Problem
from backline.tickets.choices import CauseCode


def _evidence(entry) -> list[str]:
    out = []
    if entry.ticket_event_id and entry.ticket_event:
        out.append(
            f"{entry.ticket_event.ticket.number} event {entry.ticket_event.get_kind_display()}"
        )
    if entry.change_id and entry.change:
        out.append(f"{entry.change.number} {entry.change.title}")
    if entry.attachment_id and entry.attachment:
        out.append(f"attachment {entry.attachment.filename}")
    return out


def report_data(problem: Problem, viewer: User, now: datetime | None = None) -> rules.Report:
    """Everything the report shows to this viewer (only incidents they may see), as plain data."""
    now = now or timezone.now()
    rca = queries.problem_rca(problem, viewer)
    incidents = queries.problem_incidents(problem, viewer)
    actions = queries.problem_actions(problem, today=timezone.localdate(now))
    cause = CauseCode(problem.cause_code).label if problem.cause_code in CauseCode.values else ""
    return rules.Report(
        number=problem.number,
        title=problem.title,
        state=problem.get_state_display(),
        priority=problem.priority,
        owner=problem.owner.display_name if problem.owner else "",
        team=problem.team.name if problem.team else "",
        statement=problem.statement,
        services=[s.name for s in problem.services.order_by("name")],
        cis=[c.name for c in problem.cis.order_by("name")],
        incidents=[
            (link.ticket.number, link.ticket.title, link.ticket.created_at)
            for link in sorted(incidents, key=lambda link: link.ticket.created_at)
        ],
        timeline=[(e.happened_at, e.text, _evidence(e)) for e in rca.timeline],
        whys=[w.text for w in rca.whys],
        factors=[(f.category.name, f.text) for f in rca.factors],
        root_cause=problem.root_cause,
        cause_code=cause,
        actions=[
            rules.ReportAction(
                kind=a.get_kind_display(),
                title=a.title,
                owner=a.owner.display_name if a.owner else "",
                team=a.team.name if a.team else "",
                due=a.due_date,
                state=a.get_state_display(),
                overdue=a.overdue,
                change=f"{a.change.number} ({a.change.get_state_display().lower()})"
                if a.change
                else "",
                external_ref=a.external_ref,
            )
            for a in actions
        ],
        generated_at=now,
    )


def report_markdown(problem: Problem, viewer: User, now: datetime | None = None) -> str:
    """The post-incident report as Markdown."""
    return rules.report_markdown(report_data(problem, viewer, now))


def report_html(problem: Problem, viewer: User, now: datetime | None = None) -> SafeString:
    """The post-incident report as sanitised HTML (the body of the printable page)."""
    return render_markdown(report_markdown(problem, viewer, now))
