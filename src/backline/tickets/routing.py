"""Routing rules: ordered rules that pick a ticket's team from category, service, words, priority.

Three parts, top to bottom:
- pure matching on plain values (RuleSpec, Sample → Match), unit-tested without the database;
- services: every write to the rule list (managers and admins only), positions kept dense 0..n-1;
- queries: the ordered list, and the team a ticket would get (`match_for`, `suggest_team`,
  `team_for_new_ticket`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from backline.accounts.models import Team, User
from backline.cmdb.models import Service
from backline.core.errors import DomainError, NotFound, PermissionDenied, from_validation_error
from backline.tickets.choices import Priority
from backline.tickets.models import Category, RoutingRule, Ticket

Mode = RoutingRule.Mode

# ---------------------------------------------------------------------------------------------
# Pure matching (no ORM)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """A routing rule as plain values; empty conditions match anything."""

    id: int
    name: str
    team_id: int
    mode: str = Mode.SUGGEST
    category_id: int | None = None
    service_id: int | None = None
    keywords: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    category_name: str = ""
    service_name: str = ""


@dataclass(frozen=True)
class Sample:
    """What a rule looks at in a ticket; `category_parent_ids` lets a rule on a parent match."""

    title: str = ""
    description: str = ""
    category_id: int | None = None
    service_id: int | None = None
    priority: int | None = None
    category_parent_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Match:
    rule: RuleSpec
    reasons: list[str] = field(default_factory=list)


CATCH_ALL_REASON = "no conditions: a catch-all rule matches every ticket"
KEYWORDS_MAX_LENGTH = 500


def is_catch_all(rule: RuleSpec) -> bool:
    """A rule without conditions matches every ticket, so rules after it never run."""
    return not (rule.category_id or rule.service_id or rule.keywords or rule.priorities)


@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # Whole words or a whole phrase: `vpn` matches "VPN drops" but not "vpnx"; the words of a
    # phrase may be separated by any whitespace (line breaks in a description included).
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def keyword_in(keyword: str, text: str) -> bool:
    """Whether `keyword` occurs in `text` as a whole word or phrase, ignoring case."""
    return bool(keyword.strip()) and _keyword_pattern(keyword).search(text or "") is not None


def explain(rule: RuleSpec, sample: Sample) -> list[str] | None:
    """Why `rule` matches `sample` (one reason per set condition), or None when it does not."""
    if is_catch_all(rule):
        return [CATCH_ALL_REASON]
    reasons: list[str] = []
    if rule.category_id is not None:
        label = rule.category_name or f"#{rule.category_id}"
        if sample.category_id == rule.category_id:
            reasons.append(f"category is {label}")
        elif sample.category_id is not None and rule.category_id in sample.category_parent_ids:
            reasons.append(f"category is under {label}")
        else:
            return None
    if rule.service_id is not None:
        if sample.service_id != rule.service_id:
            return None
        reasons.append(f"service is {rule.service_name or f'#{rule.service_id}'}")
    if rule.keywords:
        found = _keyword_reason(rule.keywords, sample)
        if found is None:
            return None
        reasons.append(found)
    if rule.priorities:
        if sample.priority not in rule.priorities:
            return None
        listed = ", ".join(str(p) for p in rule.priorities)
        reasons.append(f"priority P{sample.priority} in [{listed}]")
    return reasons


def _keyword_reason(keywords: Sequence[str], sample: Sample) -> str | None:
    for keyword in keywords:
        for where, text in (("title", sample.title), ("description", sample.description)):
            if keyword_in(keyword, text):
                return f"keyword '{keyword}' in {where}"
    return None


def first_match(rules: Iterable[RuleSpec], sample: Sample) -> Match | None:
    """The first rule, in the given order, whose every set condition holds, with the reasons."""
    for rule in rules:
        reasons = explain(rule, sample)
        if reasons is not None:
            return Match(rule, reasons)
    return None


def unreachable_after_catch_all(rules: Sequence[RuleSpec]) -> list[int]:
    """Ids of the rules that follow the first catch-all: they can never match."""
    for index, rule in enumerate(rules):
        if is_catch_all(rule):
            return [r.id for r in rules[index + 1 :]]
    return []


def normalise_keywords(value: str | Iterable[str] | None) -> list[str]:
    """Trimmed, lower-case, whitespace-collapsed, deduplicated keywords; empty items dropped.

    A string is split on commas (the stored form); list items are split too, since a keyword
    cannot hold a comma once stored.
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise DomainError("Keywords must be text.", field="keywords")
        for part in item.split(","):
            keyword = " ".join(part.split()).lower()
            if keyword and keyword not in out:
                out.append(keyword)
    return out


def check_priorities(value: Iterable[Any] | None) -> list[int]:
    """Priorities 1–4, deduplicated and sorted; anything else is refused naming the field."""
    out: set[int] = set()
    for item in value or ():
        if isinstance(item, bool) or not isinstance(item, int):
            raise DomainError(f"Priority {item!r} is not a whole number 1–4.", field="priorities")
        if item not in Priority.values:
            raise DomainError(f"Priority {item} is not within 1–4.", field="priorities")
        out.add(item)
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# Services (writes)
# ---------------------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "name",
    "team",
    "mode",
    "category",
    "service",
    "keywords",
    "priorities",
    "is_active",
    "position",
)


def require_admin(actor: User) -> None:
    """Routing decides where every ticket goes: only admins configure it (docs/security.md)."""
    if not actor.is_active or not actor.is_admin:
        raise PermissionDenied("Only admins can configure routing rules.")


def _assign(rule: RoutingRule, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if name == "name":
            rule.name = (value or "").strip()
        elif name == "keywords":
            rule.keywords = ", ".join(normalise_keywords(value))
        elif name == "priorities":
            rule.priorities = check_priorities(value)
        elif name == "mode":
            if value not in Mode.values:
                raise DomainError(
                    f"Mode must be one of {', '.join(Mode.values)}, not {value!r}.", field="mode"
                )
            rule.mode = value
        elif name == "is_active":
            rule.is_active = bool(value)
        elif name in ("team", "category", "service"):
            setattr(rule, name, value)
        else:
            raise DomainError(f"Routing rules have no field {name!r}.", field=name)


def _validate(rule: RoutingRule) -> None:
    if not rule.name:
        raise DomainError("A rule needs a name.", field="name")
    if rule.team_id is None:
        raise DomainError("A rule needs a team.", field="team")
    if len(rule.keywords) > KEYWORDS_MAX_LENGTH:
        raise DomainError(
            f"The keywords are longer than {KEYWORDS_MAX_LENGTH} characters together.",
            field="keywords",
        )
    try:
        rule.full_clean(
            exclude=["team", "category", "service", "position"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def _locked_order() -> list[RoutingRule]:
    """Every rule in order, locked, so two managers reordering at once do not interleave."""
    return list(RoutingRule.objects.select_for_update().order_by("position", "id").only("position"))


def _renumber(rows: list[RoutingRule]) -> None:
    """Store positions 0..n-1 in the order of `rows`, writing only the rows that moved."""
    changed = []
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            changed.append(row)
    if changed:
        RoutingRule.objects.bulk_update(changed, ["position"])


def _move_to(rows: list[RoutingRule], rule_id: int, target: int) -> None:
    if not 0 <= target < len(rows):
        raise DomainError(f"Position must be between 0 and {len(rows) - 1}.", field="position")
    index = next(i for i, r in enumerate(rows) if r.pk == rule_id)
    rows.insert(target, rows.pop(index))
    _renumber(rows)


def _check_position(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DomainError("Position must be a whole number from 0.", field="position")
    return value


def _lock(rule: RoutingRule) -> RoutingRule:
    fresh = RoutingRule.objects.select_for_update().filter(pk=rule.pk).first()
    if fresh is None:
        raise NotFound(f"No routing rule {rule.pk}.", field="id")
    return fresh


def routing_rule_create(
    *,
    actor: User,
    name: str,
    team: Team | None,
    mode: str = Mode.SUGGEST,
    category: Category | None = None,
    service: Service | None = None,
    keywords: str | Iterable[str] = (),
    priorities: Iterable[int] = (),
    is_active: bool = True,
    position: int | None = None,
) -> RoutingRule:
    """Add a rule at the end of the list (or at `position`, moving the later ones down)."""
    require_admin(actor)
    position = _check_position(position)
    rule = RoutingRule()
    _assign(
        rule,
        {
            "name": name,
            "team": team,
            "mode": mode,
            "category": category,
            "service": service,
            "keywords": keywords,
            "priorities": priorities,
            "is_active": is_active,
        },
    )
    _validate(rule)
    with transaction.atomic():
        rows = _locked_order()
        rule.position = len(rows)
        rule.save()
        rows.insert(len(rows) if position is None else min(position, len(rows)), rule)
        _renumber(rows)
    return rule


def routing_rule_update(
    *, actor: User, rule: RoutingRule, changes: Mapping[str, Any]
) -> RoutingRule:
    """Change any of a rule's fields; a `position` moves it as routing_rule_move does."""
    require_admin(actor)
    values = dict(changes)
    position = _check_position(values.pop("position", None))
    with transaction.atomic():
        fresh = _lock(rule)
        _assign(fresh, values)
        _validate(fresh)
        fresh.save()
        if position is not None:
            _move_to(_locked_order(), fresh.pk, position)
    return routing_rule_get(fresh.pk)


def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    """Remove a rule; the rules after it move up one place."""
    require_admin(actor)
    with transaction.atomic():
        _lock(rule).delete()
        _renumber(_locked_order())


def routing_rule_move(
    *,
    actor: User,
    rule: RoutingRule,
    direction: str | None = None,
    position: int | None = None,
) -> RoutingRule:
    """Move a rule one place up or down, or to `position` (0 runs first); the others close up."""
    require_admin(actor)
    if (direction is None) == (position is None):
        raise DomainError("Give a direction (up or down) or a position.", field="direction")
    if direction is not None and direction not in ("up", "down"):
        raise DomainError(f"Direction must be up or down, not {direction!r}.", field="direction")
    position = _check_position(position)
    with transaction.atomic():
        fresh = _lock(rule)
        rows = _locked_order()
        if position is None:
            index = next(i for i, r in enumerate(rows) if r.pk == fresh.pk)
            step = -1 if direction == "up" else 1
            position = max(0, min(len(rows) - 1, index + step))
        _move_to(rows, fresh.pk, position)
    return routing_rule_get(fresh.pk)


# ---------------------------------------------------------------------------------------------
# Queries (reads)
# ---------------------------------------------------------------------------------------------


def routing_rules() -> QuerySet[RoutingRule]:
    """Every rule in the order they run, with team, category and service joined."""
    return RoutingRule.objects.select_related("team", "category__parent", "service").order_by(
        "position", "id"
    )


def routing_rule_get(rule_id: int) -> RoutingRule:
    """One rule by id; NotFound otherwise."""
    rule = routing_rules().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"No routing rule {rule_id}.", field="id")
    return rule


def spec_of(rule: RoutingRule) -> RuleSpec:
    """The plain-value form of a rule (its category and service names for the reasons)."""
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        team_id=rule.team_id,
        mode=rule.mode,
        category_id=rule.category_id,
        service_id=rule.service_id,
        keywords=tuple(normalise_keywords(rule.keywords)),
        priorities=tuple(int(p) for p in rule.priorities or ()),
        category_name=str(rule.category) if rule.category_id and rule.category else "",
        service_name=rule.service.name if rule.service_id and rule.service else "",
    )


def sample_of(
    *,
    title: str = "",
    description: str = "",
    category: Category | None = None,
    service: Service | None = None,
    priority: int | None = None,
) -> Sample:
    """The sample a rule looks at, with the category's parents (so a parent's rule applies)."""
    parents: list[int] = []
    node = category.parent if category is not None and category.parent_id else None
    while node is not None and node.pk not in parents and len(parents) < 20:
        parents.append(node.pk)
        node = node.parent if node.parent_id else None
    return Sample(
        title=title or "",
        description=description or "",
        category_id=category.pk if category is not None else None,
        service_id=service.pk if service is not None else None,
        priority=priority,
        category_parent_ids=tuple(parents),
    )


def _first(rules: QuerySet[RoutingRule], sample: Sample) -> tuple[RoutingRule | None, list[str]]:
    by_id = {rule.pk: rule for rule in rules.filter(is_active=True)}
    match = first_match((spec_of(rule) for rule in by_id.values()), sample)
    if match is None:
        return None, []
    return by_id[match.rule.id], match.reasons


def match_for(
    *,
    title: str = "",
    description: str = "",
    category: Category | None = None,
    service: Service | None = None,
    priority: int | None = None,
) -> tuple[RoutingRule | None, list[str]]:
    """The first active rule (any mode) matching these ticket values, and why."""
    sample = sample_of(
        title=title, description=description, category=category, service=service, priority=priority
    )
    return _first(routing_rules(), sample)


def suggest_team(ticket: Ticket, *, min_tier: int | None = None) -> Team | None:
    """The team of the first matching rule whose team is at `min_tier` or above (escalation)."""
    rules = routing_rules()
    if min_tier is not None:
        rules = rules.filter(team__tier__gte=min_tier)
    sample = sample_of(
        title=ticket.title,
        description=ticket.description,
        category=ticket.category,
        service=ticket.service,
        priority=ticket.priority,
    )
    rule, _ = _first(rules, sample)
    return rule.team if rule is not None else None


def team_for_new_ticket(
    *,
    title: str = "",
    description: str = "",
    category: Category | None = None,
    service: Service | None = None,
    priority: int | None = None,
) -> Team | None:
    """The team of the first matching rule in mode "set", for API tickets created without one."""
    sample = sample_of(
        title=title, description=description, category=category, service=service, priority=priority
    )
    rule, _ = _first(routing_rules().filter(mode=Mode.SET), sample)
    return rule.team if rule is not None else None
