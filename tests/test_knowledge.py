"""Knowledge base: the article rules, services, decisions, feedback and the deflection metric."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from backline.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from backline.core.markdown import render_markdown
from backline.escalation.services import escalation_accept, escalation_create
from backline.knowledge import queries, rules, services
from backline.knowledge.choices import ArticleState, Audience, Decision, ReviewState
from backline.knowledge.models import ArticleReview, ArticleVersion
from backline.notifications.models import Notification
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from backline.tickets.services import ticket_comment, ticket_transition
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PACKAGE = {
    "summary": "CRM report export crashes for every sales user",
    "impact_at_risk": "Quarter-end forecast due Friday",
    "steps_taken": "Cleared the browser cache; tried another laptop",
    "hypothesis": "The report service lost its database connection pool",
    "log_excerpts": "ERROR pool exhausted after 30s",
}


def _article(actor, **fields):
    fields.setdefault("title", "CRM report export crashes")
    fields.setdefault("resolution", "1. Restart the report service\n2. Ask the user to retry")
    return services.article_create(actor=actor, **fields)


def _published(actor, editor, **fields):
    article = _article(actor, **fields)
    return services.article_transition(actor=editor, article=article, action="publish")


def _escalated(l1_agent, l2_agent, app_support, **fields):
    ticket = make_ticket(l1_agent, title="CRM crashes on every report", **fields)
    escalation = escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **PACKAGE)
    escalation_accept(actor=l2_agent, escalation=escalation, assign_to_self=True)
    return ticket.__class__.objects.get(pk=ticket.pk)


# --- rules ----------------------------------------------------------------------------------


def test_state_machine_only_lets_editors_publish():
    assert [t.action for t in rules.available_actions("draft", editor=False)] == ["submit"]
    assert [t.action for t in rules.available_actions("draft", editor=True)] == [
        "submit",
        "publish",
    ]
    with pytest.raises(DomainError, match="Level 2"):
        rules.check_transition("review", "publish", editor=False, note="")
    with pytest.raises(DomainError, match="note"):
        rules.check_transition("published", "retire", editor=True, note=" ")
    with pytest.raises(DomainError, match="Cannot submit"):
        rules.check_transition("published", "submit", editor=True, note="")


def test_audiences_by_reader():
    assert rules.readable_audiences(staff=False, tier=0, manager=False) == ("public",)
    assert "internal" not in rules.readable_audiences(staff=True, tier=1, manager=False)
    assert "internal" in rules.readable_audiences(staff=True, tier=2, manager=False)
    assert "internal" in rules.readable_audiences(staff=True, tier=1, manager=True)


def test_stale_only_when_published_and_past_review_day():
    today = date(2026, 6, 1)
    assert rules.is_stale("published", date(2026, 5, 31), today)
    assert not rules.is_stale("published", date(2026, 6, 1), today)
    assert not rules.is_stale("draft", date(2020, 1, 1), today)


def test_diff_names_changed_fields_with_line_marks():
    diff = rules.diff_versions(
        {"title": "A", "resolution": "one\ntwo"},
        {"title": "A", "resolution": "one\nthree"},
        ("title", "resolution"),
    )
    assert [d.field for d in diff] == ["resolution"]
    assert (
        ("-", "two") in diff[0].lines
        and ("+", "three") in diff[0].lines
        and (" ", "one") in diff[0].lines
    )


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "**Restart** it\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    )
    assert "<strong>Restart</strong>" in html
    assert (
        "<script>" not in html and "javascript:" not in html.split("href")[-1]
        if "href" in html
        else True
    )
    assert "<script>" not in html


# --- articles ---------------------------------------------------------------------------------


def test_create_writes_version_one_and_owner(l2_agent):
    article = _article(l2_agent, keywords=" crm,  report ,, export ")
    assert article.number == f"KB-{article.pk}"
    assert article.state == ArticleState.DRAFT and article.owner == l2_agent
    assert article.keywords == "crm, report, export"
    assert list(article.versions.values_list("number", flat=True)) == [1]


def test_blank_title_and_requesters_are_refused(l2_agent, requester):
    with pytest.raises(DomainError) as err:
        services.article_create(actor=l2_agent, title="   ")
    assert err.value.field == "title"
    with pytest.raises(PermissionDenied):
        services.article_create(actor=requester, title="How to")


def test_update_writes_a_version_and_stale_version_conflicts(l2_agent, l1_agent):
    article = _article(l2_agent)
    updated = services.article_update(
        actor=l2_agent,
        article=article,
        version=article.version,
        resolution="Restart it",
        note="Shorter",
    )
    assert updated.versions.count() == 2
    assert ArticleVersion.objects.get(article=article, number=2).note == "Shorter"
    with pytest.raises(Conflict, match="Lena"):
        services.article_update(
            actor=l2_agent, article=article, version=article.version, title="Other"
        )
    # a metadata-only change bumps the lock but writes no content version
    services.article_update(
        actor=l2_agent, article=updated, version=updated.version, review_by=date(2027, 1, 1)
    )
    assert updated.versions.count() == 2


def test_l1_edits_only_own_drafts(l1_agent, l2_agent):
    theirs = _article(l2_agent)
    with pytest.raises(PermissionDenied):
        services.article_update(actor=l1_agent, article=theirs, title="Mine now")
    mine = _article(l1_agent)
    services.article_update(actor=l1_agent, article=mine, title="Better title")
    submitted = services.article_transition(actor=l1_agent, article=mine, action="submit")
    assert submitted.state == ArticleState.REVIEW
    with pytest.raises(DomainError):
        services.article_transition(actor=l1_agent, article=submitted, action="publish")


def test_publish_sets_review_by_and_retire_needs_note(l1_agent, l2_agent):
    article = _published(l1_agent, l2_agent)
    assert article.state == ArticleState.PUBLISHED and article.published_at is not None
    assert article.review_by == timezone.localdate() + rules.REVIEW_PERIOD
    with pytest.raises(DomainError):
        services.article_transition(actor=l2_agent, article=article, action="retire")
    retired = services.article_transition(
        actor=l2_agent, article=article, action="retire", note="Old CRM"
    )
    assert retired.state == ArticleState.RETIRED
    with pytest.raises(DomainError, match="Restore"):
        services.article_update(actor=l2_agent, article=retired, title="x")
    assert [e.kind for e in retired.events.order_by("at", "id")] == [
        "created",
        "published",
        "retired",
    ]


def test_visibility_by_audience_and_state(l1_agent, l2_agent, requester):
    public = _published(l2_agent, l2_agent, title="Reset your password", audience=Audience.PUBLIC)
    l1 = _published(l2_agent, l2_agent, title="Unlock an AD account", audience=Audience.L1)
    internal = _published(
        l2_agent, l2_agent, title="Restart the report pool", audience=Audience.INTERNAL
    )
    draft = _article(l2_agent, title="Draft only")
    own_draft = _article(l1_agent, title="Sam's draft")
    assert set(queries.articles_visible_to(requester)) == {public}
    assert set(queries.articles_visible_to(l1_agent)) == {public, l1, own_draft}
    assert set(queries.articles_visible_to(l2_agent)) == {public, l1, internal, draft, own_draft}
    with pytest.raises(NotFound):
        queries.article_get(l1_agent, internal.number)


# --- feedback and reviews ---------------------------------------------------------------------


def test_not_helpful_with_comment_opens_review_for_owner(l1_agent, l2_agent):
    article = _published(l2_agent, l2_agent)
    services.article_feedback(actor=l1_agent, article=article, helpful=False)
    assert not ArticleReview.objects.exists()  # no comment: just a vote
    services.article_feedback(
        actor=l1_agent, article=article, helpful=False, comment="Step 2 is wrong on CRM 9"
    )
    review = ArticleReview.objects.get()
    assert review.assignee == l2_agent and review.state == ReviewState.OPEN
    assert Notification.objects.filter(recipient=l2_agent, kind="kb_review").exists()
    assert queries.article_stats(article)["not_helpful"] == 1  # the second vote replaced the first
    with pytest.raises(PermissionDenied):
        services.review_close(actor=l1_agent, review=review, outcome="ok")
    closed = services.review_close(actor=l2_agent, review=review, outcome="Fixed step 2")
    assert closed.state == ReviewState.DONE
    with pytest.raises(Conflict):
        services.review_close(actor=l2_agent, review=review, outcome="again")


def test_stale_articles_get_one_review_task(l2_agent):
    article = _published(l2_agent, l2_agent)
    services.article_update(actor=l2_agent, article=article, review_by=date(2020, 1, 1))
    assert services.stale_reviews_open() == {"opened": 1}
    assert services.stale_reviews_open() == {"opened": 0}
    assert queries.article_list(l2_agent, stale=True).count() == 1


# --- on tickets -------------------------------------------------------------------------------


def test_draft_from_ticket_prefills_from_ticket_package_and_notes(l1_agent, l2_agent, app_support):
    ticket = _escalated(
        l1_agent, l2_agent, app_support, description="Every report fails with error 500"
    )
    ticket_comment(
        actor=l2_agent, ticket=ticket, body="Pool size was 5 after the upgrade", internal=True
    )
    ticket_comment(actor=l2_agent, ticket=ticket, body="Public reply to the user", internal=False)
    ticket = ticket_transition(
        actor=l2_agent, ticket=ticket, action="resolve", resolution_code="configuration",
        resolution_notes="Raised the report pool to 50 and restarted", cause_code="capacity",
    )  # fmt: skip
    article = services.article_draft_from_ticket(actor=l2_agent, ticket=ticket)
    assert article.source_ticket == ticket and article.state == ArticleState.DRAFT
    assert "error 500" in article.symptoms and PACKAGE["summary"] in article.symptoms
    assert "Capacity" in article.cause and PACKAGE["hypothesis"] in article.cause
    assert article.resolution == "Raised the report pool to 50 and restarted"
    assert "Pool size was 5" in article.body and "Public reply" not in article.body
    assert PACKAGE["log_excerpts"] in article.body
    assert queries.ticket_decision(ticket).decision == Decision.DRAFTED
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.KB_LINKED).exists()


def test_policy_requires_decision_to_resolve_escalated_ticket(
    l1_agent, l2_agent, app_support, manager
):
    services.knowledge_policy_set(actor=manager, team=app_support, require_decision=True)
    ticket = _escalated(l1_agent, l2_agent, app_support)
    args = {"action": "resolve", "resolution_code": "fixed", "resolution_notes": "Restarted"}
    with pytest.raises(DomainError) as err:
        ticket_transition(actor=l2_agent, ticket=ticket, **args)
    assert err.value.code == "kb_decision_required"
    with pytest.raises(DomainError) as err:
        services.ticket_kb_decide(actor=l2_agent, ticket=ticket, decision="not_needed")
    assert err.value.field == "reason"
    services.ticket_kb_decide(
        actor=l2_agent, ticket=ticket, decision="not_needed", reason="One-off data fix"
    )
    assert ticket_transition(actor=l2_agent, ticket=ticket, **args).status == "resolved"


def test_policy_ignores_tickets_never_escalated(l1_agent, service_desk, manager):
    services.knowledge_policy_set(actor=manager, team=service_desk, require_decision=True)
    ticket = make_ticket(l1_agent, team=service_desk, assignee=l1_agent)
    resolved = ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="advice",
        resolution_notes="Told them",
    )
    assert resolved.status == "resolved"


def test_linked_decision_links_the_article(l1_agent, l2_agent, app_support):
    ticket = _escalated(l1_agent, l2_agent, app_support)
    article = _published(l2_agent, l2_agent)
    services.ticket_kb_decide(actor=l2_agent, ticket=ticket, decision="linked", article=article)
    assert [u.kind for u in queries.ticket_articles(ticket)] == ["linked"]
    with pytest.raises(DomainError) as err:
        services.ticket_kb_decide(actor=l2_agent, ticket=ticket, decision="linked")
    assert err.value.field == "article"


def test_use_is_recorded_once_and_only_published_articles_solve(l1_agent, l2_agent):
    ticket = make_ticket(l1_agent)
    draft = _article(l2_agent)
    with pytest.raises(DomainError):
        services.article_use(actor=l2_agent, article=draft, ticket=ticket, solved=True)
    article = _published(l2_agent, l2_agent)
    first = services.article_use(actor=l1_agent, article=article, ticket=ticket, solved=True)
    again = services.article_use(actor=l1_agent, article=article, ticket=ticket, solved=True)
    assert first.pk == again.pk
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.KB_USED).count() == 1


def test_create_solved_resolves_at_l1_and_counts_for_deflection(
    l1_agent, l2_agent, service_desk, app_support
):
    article = _published(l2_agent, l2_agent)
    solved = services.ticket_create_solved(
        actor=l1_agent, article=article, title="CRM report export crash"
    )
    assert solved.status == "resolved" and solved.tier == 1 and solved.team == service_desk
    assert article.number in solved.resolution_notes
    # one more L1 ticket resolved without an article, and one escalated ticket (not L1-resolved)
    plain = make_ticket(l1_agent, assignee=l1_agent)
    ticket_transition(
        actor=l1_agent,
        ticket=plain,
        action="resolve",
        resolution_code="advice",
        resolution_notes="x",
    )
    escalated = _escalated(l1_agent, l2_agent, app_support)
    services.article_use(actor=l2_agent, article=article, ticket=escalated, solved=True)
    ticket_transition(
        actor=l2_agent,
        ticket=escalated,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="y",
    )
    now = timezone.now()
    m = queries.kb_metrics(start=now - timedelta(days=1), end=now + timedelta(minutes=1))
    assert (m["l1_resolved"], m["l1_resolved_with_kb"], m["deflection_rate"]) == (2, 1, 0.5)
    assert (
        queries.top_articles(start=now - timedelta(days=1), end=now + timedelta(minutes=1))[0][
            "used"
        ]
        == 2
    )


def test_create_solved_refuses_draft_articles_and_changes_nothing(l1_agent, l2_agent):
    draft = _article(l2_agent)
    from backline.tickets.models import Ticket

    before = Ticket.objects.count()
    with pytest.raises(DomainError):
        services.ticket_create_solved(actor=l1_agent, article=draft, title="x")
    assert Ticket.objects.count() == before
