"""The status machine and the priority matrix, tested without the database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backline.core.errors import DomainError
from backline.tickets import rules
from backline.tickets.choices import Status
from backline.tickets.filters import StatusKey

ALL = list(Status.values)
RESOLVE_INPUTS = {"resolution_code": "fixed", "resolution_notes": "Restarted the pool."}

# The table a Level 2 desk expects, written out independently of rules.TRANSITIONS.
EXPECTED = {
    ("new", "start"): "in_progress",
    ("assigned", "start"): "in_progress",
    ("new", "pend"): "pending",
    ("assigned", "pend"): "pending",
    ("in_progress", "pend"): "pending",
    ("pending", "resume"): "in_progress",
    ("new", "resolve"): "resolved",
    ("assigned", "resolve"): "resolved",
    ("in_progress", "resolve"): "resolved",
    ("pending", "resolve"): "resolved",
    ("resolved", "reopen"): "in_progress",
    ("resolved", "close"): "closed",
    ("new", "cancel"): "cancelled",
    ("assigned", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
    ("pending", "cancel"): "cancelled",
}
INPUTS = {
    "pend": {"pending_reason": "requester"},
    "resolve": RESOLVE_INPUTS,
    "cancel": {"note": "Raised twice by mistake"},
}


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("action", list(rules.TRANSITIONS))
def test_every_status_and_action_follows_the_table(status, action):
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(DomainError) as exc:
            rules.check_transition(status, action, INPUTS.get(action, {}))
        assert exc.value.code == "invalid_transition"
        assert exc.value.field == "action"
    else:
        assert rules.check_transition(status, action, INPUTS.get(action, {})).target == expected


def test_closed_and_cancelled_are_terminal():
    assert rules.available_actions(Status.CLOSED) == []
    assert rules.available_actions(Status.CANCELLED) == []


def test_resolve_names_each_missing_input():
    with pytest.raises(DomainError) as exc:
        rules.check_transition("in_progress", "resolve", {})
    assert {e["field"] for e in exc.value.errors} == {"resolution_code", "resolution_notes"}


def test_blank_text_counts_as_missing():
    with pytest.raises(DomainError) as exc:
        rules.check_transition(
            "in_progress", "resolve", {"resolution_code": "fixed", "resolution_notes": "   "}
        )
    assert exc.value.field == "resolution_notes"


def test_unknown_choice_values_are_refused():
    with pytest.raises(DomainError) as exc:
        rules.check_transition("in_progress", "pend", {"pending_reason": "lunch"})
    assert exc.value.field == "pending_reason"


def test_unknown_action_is_refused():
    with pytest.raises(DomainError) as exc:
        rules.check_transition("new", "explode", {})
    assert exc.value.code == "unknown_action"


def test_assignment_moves_between_new_and_assigned_only():
    assert rules.status_after_assignment("new", True) == "assigned"
    assert rules.status_after_assignment("assigned", False) == "new"
    assert rules.status_after_assignment("in_progress", False) == "in_progress"
    assert rules.status_after_assignment("pending", True) == "pending"


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        (1, 1, 1),
        (1, 2, 2),
        (2, 1, 2),
        (1, 3, 3),
        (2, 2, 3),
        (3, 1, 3),
        (2, 3, 4),
        (3, 2, 4),
        (3, 3, 4),
    ],
)
def test_default_itil_matrix(impact, urgency, priority):
    assert rules.priority_for(impact, urgency) == priority


def test_configured_matrix_wins_over_the_default():
    assert rules.priority_for(2, 2, {(2, 2): 1}) == 1
    assert rules.priority_for(3, 3, {(2, 2): 1}) == 4


@pytest.mark.parametrize(("impact", "urgency", "field"), [(0, 2, "impact"), (2, 4, "urgency")])
def test_matrix_refuses_levels_out_of_range(impact, urgency, field):
    with pytest.raises(DomainError) as exc:
        rules.priority_for(impact, urgency)
    assert exc.value.field == field


@given(st.integers(min_value=1, max_value=10**9))
def test_number_round_trips(pk):
    assert rules.parse_number(rules.format_number(pk)) == pk


def test_number_format_and_parsing_variants():
    assert rules.format_number(42) == "INC-000042"
    assert rules.format_number(1234567) == "INC-1234567"
    assert rules.parse_number("inc-42") == 42
    assert rules.parse_number(" 42 ") == 42
    for bad in ("", "INC-", "INC-0", "PRB-12", "12a", "-3"):
        assert rules.parse_number(bad) is None


def test_filter_status_keys_match_the_status_choices():
    assert set(StatusKey.__args__) == {"open", *Status.values}


def test_a_ticket_handed_to_another_team_starts_over_there():
    assert rules.status_after_assignment("in_progress", False, team_changed=True) == "new"
    assert rules.status_after_assignment("in_progress", True, team_changed=True) == "assigned"
    assert rules.status_after_assignment("pending", False, team_changed=True) == "pending"
    assert rules.status_after_assignment("in_progress", True, team_changed=False) == "in_progress"
