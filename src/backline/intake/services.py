"""Every write of monitoring intake: alert sources and their tokens, the label rules, and the
receiving of alerts — a firing alert opens one incident per fingerprint, repeats count on it,
and its resolution resolves the incident unless people have worked on it (then it adds a note)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from backline.accounts.models import Team, User

# The API tokens' hashing, so both kinds of token are stored the same way.
from backline.accounts.services import token_digest
from backline.changes.services import system_user
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import DomainError, NotFound, PermissionDenied, from_validation_error
from backline.intake import rules
from backline.intake.choices import AlertStatus, Outcome, SourceKind
from backline.intake.models import Alert, AlertNotification, AlertRule, AlertSource
from backline.tickets.choices import OPEN_STATUSES, Level, LinkKind, ResolutionCode, Source
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.services import ticket_comment, ticket_create, ticket_link, ticket_transition

TOKEN_PREFIX = "bla_"  # noqa: S105 - a public marker, not a secret
SOURCE_FIELDS = ("name", "kind", "team", "impact", "urgency", "requester", "is_active")
RULE_FIELDS = (
    "name", "source", "matchers", "service", "ci", "team", "impact", "urgency",
    "title_template", "is_active",
)  # fmt: skip
MAX_ALERTS = 500


class Unauthorized(DomainError):
    status = 401
    default_code = "unauthorized"


def monitoring_actor() -> User:
    """The staff account that opens, notes and resolves alert-born incidents (the same system
    account the expiry sweep acts as); the source's requester is who the incident is raised as."""
    return system_user()


def require_manager(actor: User) -> None:
    """Alert sources and mailboxes decide which incidents open and where they go: admins only
    (docs/security.md)."""
    if not actor.is_active or not actor.is_admin:
        raise PermissionDenied("Only admins can configure alert sources, rules and mailboxes.")


# --- sources ----------------------------------------------------------------------------------


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _check_source(source: AlertSource) -> None:
    source.name = (source.name or "").strip()
    if not source.name:
        raise DomainError("Give the source a name, e.g. Prometheus production.", field="name")
    if source.kind not in SourceKind.values:
        raise DomainError(f"Unknown kind {source.kind!r}.", field="kind")
    if source.requester_id is None or not source.requester.is_active:
        raise DomainError("Choose an active user to raise the incidents as.", field="requester")
    clash = AlertSource.objects.filter(name__iexact=source.name).exclude(pk=source.pk)
    if clash.exists():
        raise DomainError(f"There is already a source named {source.name}.", field="name")
    try:
        source.full_clean(exclude=["team", "requester"], validate_unique=False)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def alert_source_create(
    *,
    actor: User,
    name: str,
    kind: str,
    requester: User,
    team: Team | None = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    is_active: bool = True,
    at: datetime | None = None,
) -> tuple[AlertSource, str]:
    """Add a source; returns it and its token, which is shown once and never stored."""
    require_manager(actor)
    now = at or timezone.now()
    prefix, secret = _new_token()
    source = AlertSource(
        name=name, kind=kind, requester=requester, team=team, impact=impact, urgency=urgency,
        is_active=is_active, token_prefix=prefix, token_digest=token_digest(secret),
        created_at=now, updated_at=now,
    )  # fmt: skip
    _check_source(source)
    source.save()
    return source, secret


def alert_source_update(*, actor: User, source: AlertSource, **changes: Any) -> AlertSource:
    """Edit a source's name, kind, defaults, requester or whether it is active."""
    require_manager(actor)
    unknown = set(changes) - set(SOURCE_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"Unknown field {name!r}.", field=name)
    with transaction.atomic():
        fresh = AlertSource.objects.select_for_update().get(pk=source.pk)
        for name, value in changes.items():
            setattr(fresh, name, value)
        _check_source(fresh)
        fresh.updated_at = timezone.now()
        fresh.save()
    return fresh


def alert_source_token_regenerate(*, actor: User, source: AlertSource) -> tuple[AlertSource, str]:
    """Replace the source's token: the old one stops working at once."""
    require_manager(actor)
    prefix, secret = _new_token()
    with transaction.atomic():
        fresh = AlertSource.objects.select_for_update().get(pk=source.pk)
        fresh.token_prefix, fresh.token_digest = prefix, token_digest(secret)
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["token_prefix", "token_digest", "updated_at"])
    return fresh, secret


def alert_source_authenticate(raw: str | None, kind: str) -> AlertSource:
    """The active source of `kind` behind a raw token, or a 401/403 naming what is wrong."""
    raw = (raw or "").strip()
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        raise Unauthorized(
            "Send the alert source's token: Authorization: Bearer bla_….", field="Authorization"
        )
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    source = AlertSource.objects.select_related("requester").filter(token_prefix=prefix).first()
    if source is None or not hmac.compare_digest(source.token_digest, token_digest(raw)):
        raise Unauthorized(
            "This is not the token of any alert source (was it regenerated?).",
            field="Authorization",
        )
    if not source.is_active:
        raise PermissionDenied(
            f"The alert source {source.name} is disabled; a manager can enable it under "
            "Settings → Alert sources.",
            field="Authorization",
        )
    if source.kind != kind:
        raise PermissionDenied(
            f"This token belongs to {source.name}, a {SourceKind(source.kind).label} source: "
            f"post to {source.receiver_path}.",
            field="Authorization",
        )
    return source


# --- rules ------------------------------------------------------------------------------------


def _check_rule(rule: AlertRule) -> None:
    rule.name = (rule.name or "").strip()
    if not rule.name:
        raise DomainError("Give the rule a name.", field="name")
    rules.check_matchers(rule.matchers or [])
    if (
        rule.ci is not None
        and rule.service is not None
        and rule.ci.service_id
        not in (
            None,
            rule.service.pk,
        )
    ):
        raise DomainError(f"{rule.ci.name} does not belong to {rule.service.name}.", field="ci")
    try:
        rule.full_clean(exclude=["source", "service", "ci", "team"], validate_unique=False)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def alert_rule_create(*, actor: User, name: str, **fields: Any) -> AlertRule:
    """Add a rule at the end of the list."""
    require_manager(actor)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        bad = sorted(unknown)[0]
        raise DomainError(f"Unknown field {bad!r}.", field=bad)
    now = timezone.now()
    rule = AlertRule(name=name, created_at=now, updated_at=now, **fields)
    _check_rule(rule)
    with transaction.atomic():
        top = AlertRule.objects.select_for_update().aggregate(top=Max("position"))["top"]
        rule.position = 0 if top is None else top + 1
        rule.save()
    return rule


def alert_rule_update(*, actor: User, rule: AlertRule, **changes: Any) -> AlertRule:
    """Edit a rule's matchers, targets or name."""
    require_manager(actor)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        bad = sorted(unknown)[0]
        raise DomainError(f"Unknown field {bad!r}.", field=bad)
    with transaction.atomic():
        fresh = AlertRule.objects.select_for_update().get(pk=rule.pk)
        for name, value in changes.items():
            setattr(fresh, name, value)
        _check_rule(fresh)
        fresh.updated_at = timezone.now()
        fresh.save()
    return fresh


def alert_rule_move(*, actor: User, rule: AlertRule, direction: str) -> AlertRule:
    """Swap the rule with its neighbour above ("up") or below ("down")."""
    require_manager(actor)
    if direction not in ("up", "down"):
        raise DomainError("Move up or down.", field="direction")
    with transaction.atomic():
        ordered = list(AlertRule.objects.select_for_update().order_by("position", "id"))
        index = next((i for i, r in enumerate(ordered) if r.pk == rule.pk), None)
        if index is None:
            raise NotFound("No such rule.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        return ordered[other if 0 <= other < len(ordered) else index]


def alert_rule_delete(*, actor: User, rule: AlertRule) -> None:
    """Delete a rule (alerts it matched keep their incidents)."""
    require_manager(actor)
    AlertRule.objects.filter(pk=rule.pk).delete()


# --- receiving --------------------------------------------------------------------------------


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _firing(source: AlertSource, fingerprint: str) -> Alert | None:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(source=source, fingerprint=fingerprint, status=AlertStatus.FIRING)
        .first()
    )


def _ci_from_labels(labels: dict[str, str]) -> ConfigurationItem | None:
    names = rules.ci_candidates(labels)
    if not names:
        return None
    found = {
        ci.name: ci
        for ci in ConfigurationItem.objects.filter(name__in=names).select_related(
            "service", "owner_team", "service__owner_team"
        )
    }
    return next((found[n] for n in names if n in found), None)


def _service_from_labels(labels: dict[str, str]) -> Service | None:
    for name in rules.service_candidates(labels):
        service = Service.objects.filter(name__iexact=name).select_related("owner_team").first()
        if service is not None:
            return service
    return None


def _targets(source: AlertSource, rule: AlertRule | None, labels: dict[str, str]) -> dict[str, Any]:
    """Service, CI, team and priority: the rule's, else what the labels name, else the source's.
    The team is the rule's, else the owner of the CI or service, else the source's default."""
    service = rule.service if rule else None
    ci = (rule.ci if rule else None) or _ci_from_labels(labels)
    if service is None:
        service = ci.service if ci is not None and ci.service_id else _service_from_labels(labels)
    if ci is not None and service is not None and ci.service_id not in (None, service.pk):
        ci = None  # a CI of another service would be refused: keep the service the rule named
    team = (
        (rule.team if rule else None)
        or (ci.owner_team if ci is not None else None)
        or (service.owner_team if service is not None else None)
        or source.team
    )
    return {
        "service": service,
        "ci": ci,
        "team": team,
        "impact": (rule.impact if rule and rule.impact else None) or source.impact,
        "urgency": (rule.urgency if rule and rule.urgency else None) or source.urgency,
    }


def _open(
    source: AlertSource,
    incoming: rules.Incoming,
    actor: User,
    active_rules: list[AlertRule],
    now: datetime,
    previous: Ticket | None,
) -> tuple[Alert, str]:
    rule = rules.first_match(active_rules, incoming.labels, source.pk)
    # The unique firing row goes in first: a racing delivery of the same alert fails on it
    # and is retried as a repeat, so its incident is never created.
    alert = Alert.objects.create(
        source=source, fingerprint=incoming.fingerprint, status=AlertStatus.FIRING,
        name=incoming.name, labels=incoming.labels, annotations=incoming.annotations,
        url=incoming.url[:1000], rule=rule, starts_at=incoming.starts_at, first_seen=now,
        last_seen=now, occurrences=1,
    )  # fmt: skip
    alert.ticket = ticket_create(
        actor=actor,
        requester=source.requester,
        title=rules.ticket_title(rule.title_template if rule else "", incoming),
        description=rules.describe(incoming, source.name),
        source=Source.MONITORING,
        at=now,
        **_targets(source, rule, incoming.labels),
    )
    alert.save(update_fields=["ticket"])
    if previous is not None:
        ticket_link(actor=actor, ticket=alert.ticket, target=previous, kind=LinkKind.RELATED)
    return alert, Outcome.CREATED


def _fire(
    source: AlertSource,
    incoming: rules.Incoming,
    actor: User,
    active_rules: list[AlertRule],
    now: datetime,
) -> tuple[Alert, str]:
    alert = _firing(source, incoming.fingerprint)
    previous: Ticket | None = None
    if alert is not None:
        if alert.ticket is not None and alert.ticket.status in OPEN_STATUSES:
            alert.occurrences += 1
            alert.last_seen = now
            alert.annotations = incoming.annotations or alert.annotations
            alert.save(update_fields=["occurrences", "last_seen", "annotations"])
            return alert, Outcome.REPEATED
        # People closed the incident while the alert kept firing: it is a new incident now.
        alert.status, alert.resolved_at = AlertStatus.RESOLVED, now
        alert.save(update_fields=["status", "resolved_at"])
        previous = alert.ticket
    else:
        last = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .filter(source=source, fingerprint=incoming.fingerprint)
            .order_by("-id")
            .first()
        )
        if last is not None and last.ticket is not None and last.ticket.status in OPEN_STATUSES:
            # Resolved, then firing again while people still work the incident: same incident.
            last.status, last.resolved_at, last.ends_at = AlertStatus.FIRING, None, None
            last.occurrences += 1
            last.last_seen = now
            last.save(
                update_fields=["status", "resolved_at", "ends_at", "occurrences", "last_seen"]
            )
            ticket_comment(
                actor=actor,
                ticket=last.ticket,
                body=f"The alert {last.name} fired again at {_local(now)}.",
                internal=True,
                at=now,
            )
            return last, Outcome.REFIRED
        previous = last.ticket if last is not None else None
    return _open(source, incoming, actor, active_rules, now, previous)


def _touched(ticket: Ticket, source: AlertSource, actor: User) -> bool:
    actors = TicketEvent.objects.filter(ticket=ticket).values_list("actor_id", flat=True)
    return rules.touched_by_people(actors.distinct(), {actor.pk, source.requester_id})


def _resolve(
    source: AlertSource, incoming: rules.Incoming, actor: User, now: datetime
) -> tuple[Alert | None, str]:
    alert = _firing(source, incoming.fingerprint)
    if alert is None:
        return None, Outcome.IGNORED  # already resolved (a retry) or never seen firing
    ended = incoming.ends_at or now
    alert.status, alert.ends_at, alert.resolved_at, alert.last_seen = (
        AlertStatus.RESOLVED, ended, now, now,
    )  # fmt: skip
    alert.save(update_fields=["status", "ends_at", "resolved_at", "last_seen"])
    ticket = alert.ticket
    if ticket is None or ticket.status not in OPEN_STATUSES:
        return alert, Outcome.CLEARED
    if not _touched(ticket, source, actor):
        try:
            with transaction.atomic():
                ticket_transition(
                    actor=actor,
                    ticket=ticket,
                    action="resolve",
                    resolution_code=ResolutionCode.NO_FAULT,
                    resolution_notes=rules.AUTO_RESOLUTION.format(local=_local(ended)),
                    at=now,
                )
        except DomainError:
            pass  # e.g. open collaboration tasks: people must decide, so leave them a note
        else:
            return alert, Outcome.AUTO_RESOLVED
    ticket_comment(
        actor=actor, ticket=ticket, body=rules.resolved_note(_local(ended)), internal=True, at=now
    )
    return alert, Outcome.NOTED


def _receive_one(
    source: AlertSource,
    incoming: rules.Incoming,
    actor: User,
    active_rules: list[AlertRule],
    now: datetime,
) -> dict[str, Any]:
    alert: Alert | None = None
    outcome = ""
    for attempt in range(3):
        try:
            with transaction.atomic():
                if incoming.status == AlertStatus.FIRING:
                    alert, outcome = _fire(source, incoming, actor, active_rules, now)
                else:
                    alert, outcome = _resolve(source, incoming, actor, now)
            break
        except IntegrityError:
            # Another delivery of this alert committed first; look again and count on it.
            if attempt == 2:
                raise
    ticket = alert.ticket if alert is not None else None
    return {
        "alert": alert.pk if alert is not None else None,
        "fingerprint": incoming.fingerprint,
        "name": incoming.name,
        "status": incoming.status,
        "outcome": str(outcome),
        "ticket": ticket.number if ticket is not None else None,
    }


def alerts_receive(
    *,
    source: AlertSource,
    alerts: list[rules.Incoming],
    status: str,
    digest: str,
    group_key: str = "",
    at: datetime | None = None,
) -> AlertNotification:
    """Take one notification: each alert opens, counts on, or resolves its incident; the whole
    notification is one transaction, so a failure stores nothing and the sender may retry."""
    if not source.is_active:
        raise PermissionDenied(f"The alert source {source.name} is disabled.", field="source")
    if not alerts:
        raise DomainError("The notification holds no alerts.", field="alerts")
    if len(alerts) > MAX_ALERTS:
        raise DomainError(f"At most {MAX_ALERTS} alerts per notification.", field="alerts")
    now = at or timezone.now()
    actor = monitoring_actor()
    active_rules = list(
        AlertRule.objects.filter(is_active=True)
        .select_related("service__owner_team", "ci__service", "ci__owner_team", "team")
        .order_by("position", "id")
    )
    with transaction.atomic():
        outcomes = [_receive_one(source, a, actor, active_rules, now) for a in alerts]
        notification = AlertNotification.objects.create(
            source=source,
            received_at=now,
            status=status if status in AlertStatus.values else alerts[0].status,
            alert_count=len(alerts),
            group_key=group_key[:500],
            digest=digest,
            outcomes=outcomes,
        )
        AlertSource.objects.filter(pk=source.pk).update(last_received_at=now)
    return notification
