"""Domain signals sent by ticket services inside their transaction, so other apps can react."""

from django.dispatch import Signal

# kwargs: ticket, actor, at
ticket_created = Signal()
# kwargs: ticket, actor, at, before (status), after (status), action
ticket_transitioned = Signal()
# kwargs: ticket, actor, at, changes ({field: [before, after]})
ticket_changed = Signal()
