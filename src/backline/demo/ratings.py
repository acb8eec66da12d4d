"""Satisfaction ratings for the demo: about a third of the resolved and closed tickets rated by
their requesters shortly after resolution, mostly happy, a few unhappy with a short reason, and
Level 3 resolutions (long, hard cases) a little lower.

`ratings_load` runs after the tickets are written: it bulk-inserts the Rating rows and their
RATED events in the shape `satisfaction.services.rating_submit` writes. A seed gives the same
ratings; a database that already has ratings is left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from backline.satisfaction.models import Rating
from backline.satisfaction.services import EVENT_COMMENT_MAX
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.services import event_value

SHARE = 0.35
# Weights of the scores 1..5: L1 and L2 resolutions, and (a little lower) L3 ones.
WEIGHTS = {1: (3, 4, 10, 33, 50), 2: (3, 4, 10, 33, 50), 3: (5, 7, 14, 34, 40)}
UNHAPPY = (
    "Took three days and nobody told me what was going on.",
    "Had to explain the problem twice to different people.",
    "Closed before it was actually fixed, I had to chase it.",
    "The workaround is clumsy, I hope there is a real fix coming.",
    "Nobody called back as promised.",
)
MIXED = (
    "Fixed in the end, but it took a while.",
    "Fine, though the first answer did not help.",
)
HAPPY = (
    "Quick and friendly, thanks!",
    "Great help, explained what went wrong.",
    "Sorted within the hour, much appreciated.",
    "Thanks for staying on it until it worked.",
)


def _comment(rng: random.Random, score: int) -> str:
    if score <= 2:
        return rng.choice(UNHAPPY)  # unhappy people usually say why
    if score == 3:
        return rng.choice(MIXED) if rng.random() < 0.4 else ""
    return rng.choice(HAPPY) if rng.random() < 0.2 else ""


def ratings_load(*, seed: int = 7) -> int:
    """Rate about 35 % of the resolved and closed tickets; return how many (0 when the database
    has ratings already)."""
    if Rating.objects.exists():
        return 0  # loaded already: a second run must not add a second wave of ratings
    rng = random.Random(f"{seed}:ratings")
    now = timezone.now()
    tickets = list(
        Ticket.objects.filter(
            status__in=(Status.RESOLVED, Status.CLOSED),
            resolved_at__isnull=False,
            rating__isnull=True,
        )
        .select_related("team", "requester")
        .order_by("pk")
    )
    ratings: list[Rating] = []
    events: list[TicketEvent] = []
    for ticket in tickets:
        if rng.random() >= SHARE:
            continue
        # Requesters answer within minutes to a day of the email, never in the future.
        delay = timedelta(minutes=rng.choice((3, 8, 20, 45, 90, 240, 600, 1440)))
        at = min((ticket.resolved_at or now) + delay, now)
        tier = ticket.tier if ticket.tier in WEIGHTS else 2
        score = rng.choices(range(1, 6), weights=WEIGHTS[tier])[0]
        comment = _comment(rng, score)
        ratings.append(
            Rating(
                ticket=ticket,
                requester=ticket.requester,
                score=score,
                comment=comment,
                tier=ticket.tier,
                team=ticket.team,
                created_at=at,
                updated_at=at,
            )
        )
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.RATED,
                actor=ticket.requester,
                at=at,
                data={
                    "score": score,
                    "comment": comment[:EVENT_COMMENT_MAX],
                    "tier": ticket.tier,
                    "team": event_value(ticket.team),
                    "by": "link",
                },
            )
        )
    with transaction.atomic():
        Rating.objects.bulk_create(ratings, batch_size=500)
        TicketEvent.objects.bulk_create(events, batch_size=500)
    return len(ratings)
