"""The five answers to "How did we do?"."""

from __future__ import annotations

from django.db import models


class Score(models.IntegerChoices):
    VERY_POOR = 1, "Very poor"
    POOR = 2, "Poor"
    OKAY = 3, "Okay"
    GOOD = 4, "Good"
    EXCELLENT = 5, "Excellent"


# A rating of 4 or 5 counts as satisfied (DESIGN.md: CSAT = share of ratings 4–5).
SATISFIED_MIN = Score.GOOD
# The face drawn for each score: the y of the mouth's middle (a frown below 15, a smile above).
FACES = {1: 12, 2: 13.5, 3: 15, 4: 17.5, 5: 20}
