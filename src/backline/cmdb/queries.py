"""Reads for services, configuration items and the dependency graph.

The graph functions (`graph_edges`, `ci_impact`, `ci_upstream`, `ticket_context_cis`) read
every edge with two `values_list` queries and walk them in memory with `cmdb.graph` (BFS, cycles
safe, at most `MAX_DEPTH` hops). A CMDB of tens of thousands of edges is a few hundred kB of
tuples; past that, cache `graph_edges()` per request."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, TypedDict

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from backline.accounts.models import User
from backline.cmdb import graph
from backline.cmdb.filters import CiFilter
from backline.cmdb.graph import Node
from backline.cmdb.models import CiType, CmdbEvent, ConfigurationItem, Dependency, Service

MAX_DEPTH = 10


# --- lists and pages -------------------------------------------------------------------------


def services_all() -> QuerySet[Service]:
    """Every service, by name."""
    return Service.objects.order_by("name")


def items_all() -> QuerySet[ConfigurationItem]:
    """Every configuration item with its service, by name."""
    return ConfigurationItem.objects.select_related("service").order_by("name")


def ci_types_all() -> QuerySet[CiType]:
    """Every CI type, by name."""
    return CiType.objects.order_by("name")


def ci_type_names() -> dict[str, str]:
    """slug → name, for labels on lists (one small query)."""
    return dict(CiType.objects.values_list("slug", "name"))


def services_list() -> QuerySet[Service]:
    """Services with their owner team and how many CIs they hold."""
    return (
        Service.objects.select_related("owner_team")
        .annotate(item_count=Count("items", distinct=True))
        .order_by("-is_active", "name")
    )


def _expiring_q(today: date) -> Q:
    """Items whose expiry date is past or inside their own type's warning window."""
    q = Q(pk__in=[])
    for slug, days in CiType.objects.values_list("slug", "expiry_warning_days"):
        q |= Q(ci_type=slug, expires_at__lte=today + timedelta(days=days))
    return q


def items_list(flt: CiFilter, *, today: date | None = None) -> QuerySet[ConfigurationItem]:
    """CIs matching the filter with their service and owner team, by name."""
    qs = ConfigurationItem.objects.select_related("service", "owner_team")
    if flt.q:
        qs = qs.filter(name__icontains=flt.q)
    if flt.type:
        qs = qs.filter(ci_type=flt.type)
    if flt.service:
        qs = qs.filter(service_id=flt.service)
    if flt.owner_team:
        qs = qs.filter(owner_team_id=flt.owner_team)
    if flt.environment:
        qs = qs.filter(environment=flt.environment)
    if flt.criticality:
        qs = qs.filter(criticality=flt.criticality)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.expiring:
        soon = _expiring_q(today or timezone.localdate())
        return qs.filter(soon).order_by("expires_at", "name")
    return qs.order_by("name")


def item_get(pk: int) -> ConfigurationItem:
    """One CI with its relations; NotFound when missing."""
    from backline.core.errors import NotFound

    item = ConfigurationItem.objects.select_related("service", "owner_team").filter(pk=pk).first()
    if item is None:
        raise NotFound(f"No configuration item {pk}.", field="id")
    return item


def service_get(pk: int) -> Service:
    """One service with its owner team; NotFound when missing."""
    from backline.core.errors import NotFound

    service = Service.objects.select_related("owner_team").filter(pk=pk).first()
    if service is None:
        raise NotFound(f"No service {pk}.", field="id")
    return service


def dependencies_of(item: ConfigurationItem) -> list[Dependency]:
    """What the CI relies on (its outgoing edges), targets joined."""
    return list(
        item.dependencies.select_related("target_ci", "target_service").order_by("kind", "id")
    )


def dependents_of(item: ConfigurationItem) -> list[Dependency]:
    """Which CIs rely on this CI directly (incoming edges), sources joined."""
    return list(item.dependents.select_related("source").order_by("kind", "source__name"))


def service_dependents(service: Service) -> list[Dependency]:
    """Which CIs rely on this service directly."""
    return list(service.dependents.select_related("source").order_by("source__name"))


def dependencies_list(*, ci_id: int | None = None) -> QuerySet[Dependency]:
    """Every edge (or those touching one CI), both ends joined."""
    qs = Dependency.objects.select_related("source", "target_ci", "target_service")
    if ci_id:
        qs = qs.filter(Q(source_id=ci_id) | Q(target_ci_id=ci_id))
    return qs.order_by("source__name", "kind", "id")


def item_history(item: ConfigurationItem, limit: int = 20) -> list[CmdbEvent]:
    """The CI's latest changes, newest first."""
    return list(item.events.select_related("actor")[:limit])


# --- the graph -------------------------------------------------------------------------------


def graph_edges() -> list[tuple[Node, Node]]:
    """Every edge of the dependency graph, a → b meaning "a relies on b": each dependency, and
    each service relying on each of its CIs. Two cheap `values_list` queries."""
    edges: list[tuple[Node, Node]] = []
    for source, target_ci, target_service in Dependency.objects.values_list(
        "source_id", "target_ci_id", "target_service_id"
    ):
        target: Node = ("ci", target_ci) if target_ci else ("service", target_service)
        edges.append((("ci", source), target))
    for pk, service_id in ConfigurationItem.objects.filter(service__isnull=False).values_list(
        "pk", "service_id"
    ):
        edges.append((("service", service_id), ("ci", pk)))
    return edges


class Impact(TypedDict):
    services: list[tuple[Service, int]]
    cis: list[tuple[ConfigurationItem, int]]


def ci_impact(ci: ConfigurationItem, *, edges: list[tuple[Node, Node]] | None = None) -> Impact:
    """What breaks when `ci` breaks: the services and CIs downstream of it, each with its
    distance in hops (nearest first, then by name); `ci` itself is not listed."""
    edges = graph_edges() if edges is None else edges
    reached = graph.downstream([("ci", ci.pk)], edges, MAX_DEPTH)
    reached.pop(("ci", ci.pk), None)
    return {
        "services": _objects(Service, reached, "service"),
        "cis": _objects(ConfigurationItem, reached, "ci"),
    }


def _objects(model: Any, reached: dict[Node, int], kind: str) -> list[tuple[Any, int]]:
    dist = {pk: d for (k, pk), d in reached.items() if k == kind}
    objs = model.objects.filter(pk__in=dist)
    return sorted(((o, dist[o.pk]) for o in objs), key=lambda p: (p[1], p[0].name))


def ci_upstream(ci_ids: Iterable[int]) -> dict[int, int]:
    """CI id → distance for the given CIs (0) and every CI they rely on, directly or through a
    service they depend on (that service's CIs). Where to look for a cause."""
    reached = graph.upstream([("ci", pk) for pk in ci_ids], graph_edges(), MAX_DEPTH)
    return {pk: d for (kind, pk), d in reached.items() if kind == "ci"}


def ticket_context_cis(
    service_id: int | None, ci_id: int | None, *, edges: list[tuple[Node, Node]] | None = None
) -> dict[Node, int]:
    """The CIs behind a ticket with their distance: its CI (0) and everything upstream of it;
    with only a service, the service's CIs (1) and everything upstream of them. Keys are
    ("ci", id) nodes; empty when the ticket names neither. Pass `edges` already read to walk
    them again without another read."""
    if ci_id:
        start: Node = ("ci", ci_id)
    elif service_id:
        start = ("service", service_id)
    else:
        return {}
    reached = graph.upstream([start], graph_edges() if edges is None else edges, MAX_DEPTH)
    return {node: d for node, d in reached.items() if node[0] == "ci"}


def ci_upstream_objects(ci: ConfigurationItem) -> list[tuple[ConfigurationItem, int]]:
    """The CIs `ci` relies on, nearest first (for the CI page)."""
    dist = ci_upstream([ci.pk])
    dist.pop(ci.pk, None)
    objs = ConfigurationItem.objects.filter(pk__in=dist)
    return sorted(((o, dist[o.pk]) for o in objs), key=lambda p: (p[1], p[0].name))


# --- open incidents --------------------------------------------------------------------------
# `tickets` sits above `cmdb` (a ticket points at a service and a CI), so cmdb must not import
# it at module level. The model is looked up through the app registry and the open statuses are
# imported lazily from the leaf `tickets.choices` module: the dependency stays a run-time one,
# in one place, and callers (pages, API) need not build a ticket queryset themselves. A caller
# that wants a narrower set (e.g. only what a user may see) passes its own `tickets` queryset.


def open_tickets(user: User | None = None) -> QuerySet:
    """Open incidents (new, assigned, in progress, pending); only those the user may see
    (`tickets_visible_to`) when a user is given."""
    from backline.tickets.choices import OPEN_STATUSES

    if user is None:
        return apps.get_model("tickets", "Ticket").objects.filter(status__in=OPEN_STATUSES)
    from backline.tickets.queries import tickets_visible_to

    return tickets_visible_to(user).filter(status__in=OPEN_STATUSES)


def _count_by(
    field: str, ids: Iterable[int], tickets: QuerySet | None, user: User | None
) -> dict[int, int]:
    ids = list(ids)
    if not ids:
        return {}
    qs = (open_tickets(user) if tickets is None else tickets).filter(**{f"{field}__in": ids})
    rows = qs.order_by().values_list(field).annotate(n=Count("pk"))
    return dict(rows)


def open_incidents_per_ci(
    ci_ids: Iterable[int], tickets: QuerySet | None = None, *, user: User | None = None
) -> dict[int, int]:
    """CI id → number of open incidents naming it that the user may see (ids without any are
    absent)."""
    return _count_by("ci_id", ci_ids, tickets, user)


def open_incidents_per_service(
    service_ids: Iterable[int], tickets: QuerySet | None = None, *, user: User | None = None
) -> dict[int, int]:
    """Service id → number of open incidents naming it that the user may see (ids without any
    are absent)."""
    return _count_by("service_id", service_ids, tickets, user)


def open_incidents_for(
    *, user: User, ci_id: int | None = None, service_id: int | None = None
) -> QuerySet:
    """The open incidents naming a CI or a service that the user may see, most urgent first."""
    qs = open_tickets(user).select_related("team", "assignee")
    qs = qs.filter(ci_id=ci_id) if ci_id else qs.filter(service_id=service_id)
    return qs.order_by("priority", "-id")


def service_items(service: Service) -> list[ConfigurationItem]:
    """The CIs of a service with their owner team, by name."""
    return list(service.items.select_related("owner_team").order_by("name"))


def export_data() -> dict[str, Any]:
    """Services, CI types, CIs and dependencies as plain JSON-able data (names, not ids, so a
    file can be imported elsewhere)."""
    services = [
        {"name": s.name, "description": s.description, "owner_team": s.owner_team.name
         if s.owner_team else None, "criticality": s.get_criticality_display().lower(),
         "active": s.is_active}
        for s in Service.objects.select_related("owner_team").order_by("name")
    ]  # fmt: skip
    types = [
        {"slug": t.slug, "name": t.name, "description": t.description,
         "attributes": t.attributes, "has_expiry": t.has_expiry,
         "expiry_warning_days": t.expiry_warning_days}
        for t in CiType.objects.order_by("slug")
    ]  # fmt: skip
    cis = [
        {"name": c.name, "type": c.ci_type, "service": c.service.name if c.service else None,
         "owner_team": c.owner_team.name if c.owner_team else None,
         "environment": c.environment, "criticality": c.get_criticality_display().lower(),
         "status": c.status, "expires_at": c.expires_at.isoformat() if c.expires_at else None,
         "description": c.description, "attributes": c.attributes}
        for c in ConfigurationItem.objects.select_related("service", "owner_team").order_by("name")
    ]  # fmt: skip
    deps = [
        {"source": d.source.name, "kind": d.kind,
         "target_ci": d.target_ci.name if d.target_ci else None,
         "target_service": d.target_service.name if d.target_service else None}
        for d in dependencies_list()
    ]  # fmt: skip
    return {
        "exported_at": timezone.now().isoformat(),
        "services": services,
        "ci_types": types,
        "cis": cis,
        "dependencies": deps,
    }
