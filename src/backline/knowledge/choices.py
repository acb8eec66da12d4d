from django.db import models


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Audience(models.TextChoices):
    """Who may read a published article."""

    PUBLIC = "public", "Public (requesters too)"
    L1 = "l1", "Level 1 and up"
    INTERNAL = "internal", "Internal (Level 2 and up)"


class UseKind(models.TextChoices):
    LINKED = "linked", "Linked"
    SOLVED = "solved", "Solved it"


class Decision(models.TextChoices):
    """What an engineer decided about knowledge when resolving an escalated ticket."""

    LINKED = "linked", "Linked an existing article"
    DRAFTED = "drafted", "Drafted a new article"
    NOT_NEEDED = "not_needed", "No article needed"


class ReviewState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ArticleEventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    SUBMITTED = "submitted", "Submitted for review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Sent back to draft"
    RETIRED = "retired", "Retired"
    RESTORED = "restored", "Restored to draft"
    REVIEW_OPENED = "review_opened", "Review task opened"
    REVIEW_DONE = "review_done", "Review task done"
