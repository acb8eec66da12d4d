"""Domain signals sent by ticket services inside their transaction, so other apps can react."""

from django.dispatch import Signal

# kwargs: ticket, actor, at
ticket_created = Signal()
# kwargs: ticket, actor, at, before (status), after (status), action
ticket_transitioned = Signal()
# kwargs: ticket, actor, at, changes ({field: [before, after]}), via (None for a plain edit, or
# the name of the workflow that moved the ticket, e.g. "escalation")
ticket_changed = Signal()
# kwargs: event. Sent for every event appended to a ticket's timeline, inside the transaction;
# the SLA clocks follow the ticket's life through it.
event_recorded = Signal()
# kwargs: ticket, actor, action. Sent before a transition is applied; a receiver refuses it by
# raising DomainError (e.g. required collaboration tasks still open when resolving).
ticket_transition_requested = Signal()
