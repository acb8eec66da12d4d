"""@mentions in internal notes: find the staff members a text names, and notify them."""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.text import Truncator

from backline.accounts.choices import STAFF_ROLES
from backline.accounts.models import User
from backline.notifications.choices import NotificationKind
from backline.notifications.models import Notification
from backline.notifications.services import notify

# `@name` not preceded by a username character, so `bob@example.com` mentions nobody.
MENTION_RE = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")
TRAILING_PUNCTUATION = ".,:;!?)"
# A note naming more people than this is a broadcast, not a mention; bounds the query too.
MAX_MENTIONS = 50


def mention_tokens(text: str) -> list[str]:
    """The names after each `@`, without trailing punctuation, in order, each once."""
    tokens: dict[str, None] = {}
    for match in MENTION_RE.finditer(text or ""):
        name = match.group(1).rstrip(TRAILING_PUNCTUATION)
        if name:
            tokens.setdefault(name, None)
    return list(tokens)[:MAX_MENTIONS]


def mentioned_users(text: str) -> list[User]:
    """Active staff members named by `@username` in the text (case-insensitive), each once."""
    tokens = mention_tokens(text)
    if not tokens:
        return []
    candidates = User.objects.filter(
        reduce(or_, (Q(username__iexact=t) for t in tokens)),
        is_active=True,
        role__in=STAFF_ROLES,
    )
    by_name: dict[str, list[User]] = {}
    for user in candidates:
        by_name.setdefault(user.username.casefold(), []).append(user)
    found: dict[int, User] = {}
    for token in tokens:
        matches = by_name.get(token.casefold(), [])
        exact = [u for u in matches if u.username == token]
        # Usernames are unique case-sensitively; `@Bob` with both `bob` and `BOB` is ambiguous.
        chosen = exact or (matches if len(matches) == 1 else [])
        for user in chosen:
            found.setdefault(user.pk, user)
    return list(found.values())


def notify_mentions(
    *, actor: User, text: str, ticket_number: str, url: str, title: str
) -> list[Notification]:
    """Notify everyone the text mentions, except its author; call inside the writing transaction."""
    recipients = [u for u in mentioned_users(text) if u.pk != actor.pk]
    if not recipients:
        return []
    return notify(
        recipients=recipients,
        kind=NotificationKind.MENTION,
        title=title,
        body=Truncator(text.strip()).chars(300),
        url=url,
        actor=actor,
        ticket_number=ticket_number,
    )
