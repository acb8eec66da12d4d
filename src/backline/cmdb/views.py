"""CMDB pages: services, configuration items with their impact and dependency picture, CI types,
CSV import and JSON export. Views parse input and call services; a refusal becomes a form error,
a stale edit a message naming who changed the CI."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.cmdb import importer, queries, rules, services
from backline.cmdb.filters import CiFilter
from backline.cmdb.forms import (
    ATTR_PREFIX,
    CiFilterForm,
    CiForm,
    CiTypeForm,
    DependencyForm,
    ImportForm,
    ServiceForm,
    item_initial,
    schema_text,
)
from backline.cmdb.models import CiType, ConfigurationItem, Dependency, Service
from backline.core.errors import Conflict, DomainError, NotFound, PermissionDenied

PICTURE_LIMIT = 8
PICTURE_DEPTH = 2  # hops shown on each side; the impact and dependency lists give the rest


def _reader(request: HttpRequest) -> None:
    services.require_read(request.user)  # type: ignore[arg-type]


def _form_error(form: Any, exc: DomainError) -> None:
    """A service's refusal next to the field it names (attributes.x → the attr_x field)."""
    for error in exc.errors or [{"field": exc.field, "message": exc.message}]:
        field = (error.get("field") or "").replace("attributes.", ATTR_PREFIX, 1)
        form.add_error(field if field in form.fields else None, error["message"])


# --- services --------------------------------------------------------------------------------


@login_required
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    _reader(request)
    rows = list(queries.services_list())
    counts = queries.open_incidents_per_service([s.pk for s in rows], user=request.user)
    for s in rows:
        s.open_count = counts.get(s.pk, 0)
    can_add = request.user.is_manager or request.user.memberships.exists()  # type: ignore[union-attr]
    return render(
        request,
        "cmdb/services.html",
        {"title": "Services", "services": rows, "can_add": can_add, "section": "services"},
    )


@login_required
@require_GET
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    service = queries.service_get(pk)
    items = queries.service_items(service)
    counts = queries.open_incidents_per_ci([i.pk for i in items], user=request.user)
    for i in items:
        i.open_count = counts.get(i.pk, 0)
    context = {
        "title": service.name,
        "service": service,
        "items": items,
        "dependents": queries.service_dependents(service),
        "incidents": list(
            queries.open_incidents_for(user=request.user, service_id=service.pk)[:20]
        ),
        "open_count": queries.open_incidents_per_service([service.pk], user=request.user).get(
            service.pk, 0
        ),
        "can_edit": services.can_write(request.user, service.owner_team_id),  # type: ignore[arg-type]
        "section": "services",
    }
    return render(request, "cmdb/service_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def service_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _reader(request)
    service = queries.service_get(pk) if pk else None
    initial = (
        {f: getattr(service, f) for f in services.SERVICE_FIELDS}
        if service
        else {"is_active": True}
    )
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if service is None:
                service = services.service_create(actor=request.user, **data)  # type: ignore[arg-type]
            else:
                changed = {k: v for k, v in data.items() if k in form.changed_data}
                service = services.service_update(actor=request.user, service=service, **changed)  # type: ignore[arg-type]
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{service.name} saved.")
            return redirect("cmdb:service", pk=service.pk)
    status = 422 if request.method == "POST" else 200
    title = f"Edit {service.name}" if service else "New service"
    context = {"form": form, "service": service, "title": title, "section": "services"}
    return render(request, "cmdb/service_form.html", context, status=status)


# --- configuration items ---------------------------------------------------------------------


@login_required
@require_GET
def ci_list(request: HttpRequest) -> HttpResponse:
    _reader(request)
    flt = CiFilter.from_query(request.GET)
    form = CiFilterForm(request.GET or None)
    form.is_valid()
    page = Paginator(queries.items_list(flt), 50).get_page(request.GET.get("page"))
    items = list(page.object_list)
    counts = queries.open_incidents_per_ci([i.pk for i in items], user=request.user)
    today = timezone.localdate()
    warn = dict(CiType.objects.values_list("slug", "expiry_warning_days"))
    for i in items:
        i.open_count = counts.get(i.pk, 0)
        i.expiry = rules.expiry_state(i.expires_at, today, warn.get(i.ci_type, 14))
    context = {
        "title": "Configuration items",
        "form": form,
        "page": page,
        "items": items,
        "type_names": queries.ci_type_names(),
        "section": "cis",
    }
    template = "cmdb/ci_list.html#results" if request.htmx else "cmdb/ci_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _picture(item: ConfigurationItem, impact: queries.Impact) -> dict[str, Any]:
    """Layered columns for the dependency picture: upstream by distance (farthest first), the CI,
    then downstream by distance; each column capped, with a count of the rest."""
    up: dict[int, list[Any]] = {}
    for ci, d in queries.ci_upstream_objects(item):
        up.setdefault(d, []).append(("ci", ci))
    down: dict[int, list[Any]] = {}
    for ci, d in impact["cis"]:
        down.setdefault(d, []).append(("ci", ci))
    for svc, d in impact["services"]:
        down.setdefault(d, []).append(("service", svc))

    def column(nodes: list[Any], distance: int, side: str) -> dict[str, Any]:
        return {
            "distance": distance,
            "side": side,
            "nodes": nodes[:PICTURE_LIMIT],
            "more": max(0, len(nodes) - PICTURE_LIMIT),
        }

    return {
        "upstream": [column(up[d], d, "up") for d in sorted(up)[:PICTURE_DEPTH][::-1]],
        "downstream": [column(down[d], d, "down") for d in sorted(down)[:PICTURE_DEPTH]],
    }


def _ci_context(request: HttpRequest, item: ConfigurationItem) -> dict[str, Any]:
    impact = queries.ci_impact(item)
    ci_type = CiType.objects.filter(slug=item.ci_type).first()
    specs = {a["name"]: a for a in (ci_type.attributes if ci_type else [])}
    attributes = [
        (name.replace("_", " ").capitalize(), item.attributes.get(name), spec.get("type"))
        for name, spec in specs.items()
    ] + [(k, v, "text") for k, v in item.attributes.items() if k not in specs]
    warn = ci_type.expiry_warning_days if ci_type else 14
    return {
        "title": item.name,
        "item": item,
        "ci_type": ci_type,
        "attributes": attributes,
        "expiry": rules.expiry_state(item.expires_at, timezone.localdate(), warn),
        "depends_on": queries.dependencies_of(item),
        "dependents": queries.dependents_of(item),
        "impact": impact,
        "picture": _picture(item, impact),
        "incidents": list(queries.open_incidents_for(user=request.user, ci_id=item.pk)[:20]),
        "open_count": queries.open_incidents_per_ci([item.pk], user=request.user).get(item.pk, 0),
        "can_edit": services.can_write(request.user, item.owner_team_id),  # type: ignore[arg-type]
        "dep_form": DependencyForm(source=item),
        "history": queries.item_history(item, 15),
        "section": "cis",
    }


@login_required
@require_GET
def ci_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    return render(request, "cmdb/ci_detail.html", _ci_context(request, queries.item_get(pk)))


def _ci_type_for(request: HttpRequest, item: ConfigurationItem | None) -> CiType | None:
    slug = (
        request.POST.get("ci_type")
        or request.GET.get("ci_type")
        or request.GET.get("type")
        or (item and item.ci_type)
    )
    found = CiType.objects.filter(slug=slug).first() if slug else None
    return found or CiType.objects.order_by("name").first()


@login_required
@require_http_methods(["GET", "POST"])
def ci_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _reader(request)
    item = queries.item_get(pk) if pk else None
    ci_type = _ci_type_for(request, item)
    initial = item_initial(item) if item else {"ci_type": ci_type.slug if ci_type else None}
    form = CiForm(request.POST or None, initial=initial, ci_type=ci_type)
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        # The type select changed: just the attribute fields of the chosen type.
        return render(request, "cmdb/ci_form.html#attribute-fields", {"form": form})
    conflict = ""
    if request.method == "POST" and form.is_valid():
        try:
            item = _save_ci(request, form, item)
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{item.name} saved.")
            return redirect("cmdb:ci", pk=item.pk)
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "item": item,
        "conflict": conflict,
        "title": f"Edit {item.name}" if item else "New configuration item",
        "section": "cis",
    }
    return render(request, "cmdb/ci_form.html", context, status=status)


def _save_ci(request: HttpRequest, form: CiForm, item: ConfigurationItem | None) -> Any:
    data = {k: v for k, v in form.cleaned_data.items() if not k.startswith(ATTR_PREFIX)}
    version = data.pop("version", None)
    data["attributes"] = form.attributes()
    if item is None:
        return services.item_create(actor=request.user, **data)  # type: ignore[arg-type]
    return services.item_update(actor=request.user, item=item, version=version, **data)  # type: ignore[arg-type]


@login_required
@require_POST
def ci_retire(request: HttpRequest, pk: int) -> HttpResponse:
    item = queries.item_get(pk)
    version = request.POST.get("version")
    try:
        services.item_retire(
            actor=request.user,  # type: ignore[arg-type]
            item=item,
            version=int(version) if version and version.isdecimal() else None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{item.name} is retired.")
    return redirect("cmdb:ci", pk=item.pk)


def _dependencies_response(request: HttpRequest, item: ConfigurationItem, **extra: Any):
    if request.htmx:  # type: ignore[attr-defined]
        context = {**_ci_context(request, item), **extra}
        return render(request, "cmdb/ci_detail.html#dependencies", context)
    for error in extra.get("dep_errors", []):
        messages.error(request, error)
    return redirect("cmdb:ci", pk=item.pk)


@login_required
@require_POST
def dependency_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = queries.item_get(pk)
    form = DependencyForm(request.POST, source=item)
    errors: list[str] = []
    if form.is_valid():
        target_ci_id, target_service_id = form.target_ids()
        try:
            services.dependency_add(
                actor=request.user,  # type: ignore[arg-type]
                source=item,
                kind=form.cleaned_data["kind"],
                target_ci=ConfigurationItem.objects.filter(pk=target_ci_id).first()
                if target_ci_id
                else None,
                target_service=Service.objects.filter(pk=target_service_id).first()
                if target_service_id
                else None,
            )
        except DomainError as exc:
            errors.append(exc.message)
    else:
        errors.append("Choose a kind and a target.")
    return _dependencies_response(request, item, dep_errors=errors)


@login_required
@require_POST
def dependency_remove(request: HttpRequest, pk: int) -> HttpResponse:
    dep = Dependency.objects.select_related("source").filter(pk=pk).first()
    if dep is None:
        raise NotFound("That dependency no longer exists.")
    errors: list[str] = []
    try:
        services.dependency_remove(actor=request.user, dependency=dep)  # type: ignore[arg-type]
    except DomainError as exc:
        errors.append(exc.message)
    return _dependencies_response(request, dep.source, dep_errors=errors)


# --- CI types --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ci_types(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    _reader(request)
    if not request.user.is_manager:  # type: ignore[union-attr]
        raise PermissionDenied("Only managers can change CI types.")
    editing = CiType.objects.filter(slug=slug).first() if slug else None
    if slug and editing is None:
        raise NotFound(f"No CI type {slug}.")
    initial = (
        {"slug": editing.slug, "name": editing.name, "description": editing.description,
         "attributes": schema_text(editing.attributes), "has_expiry": editing.has_expiry,
         "expiry_warning_days": editing.expiry_warning_days}
        if editing else None
    )  # fmt: skip
    form = CiTypeForm(request.POST or None, initial=initial)
    if editing:
        form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if editing:
                data.pop("slug")
                saved = services.ci_type_update(actor=request.user, ci_type=editing, **data)  # type: ignore[arg-type]
            else:
                saved = services.ci_type_create(actor=request.user, **data)  # type: ignore[arg-type]
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"CI type {saved.name} saved.")
            return redirect("cmdb:types")
    types = list(queries.ci_types_all())
    used = dict(_type_counts())
    for t in types:
        t.used = used.get(t.slug, 0)
    context = {
        "title": "CI types",
        "types": types,
        "form": form,
        "editing": editing,
        "section": "types",
    }
    return render(
        request, "cmdb/types.html", context, status=422 if request.method == "POST" else 200
    )


def _type_counts() -> Any:
    from django.db.models import Count

    return ConfigurationItem.objects.values_list("ci_type").annotate(n=Count("pk")).order_by()


# --- import and export -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    _reader(request)
    if not request.user.is_admin:  # type: ignore[union-attr]
        raise PermissionDenied("Only admins can import into the CMDB.")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        dry_run = request.POST.get("action") != "import"
        try:
            if upload.size > importer.MAX_BYTES:
                raise DomainError("The file is larger than 5 MB.", field="file")
            result = importer.import_csv(
                actor=request.user,  # type: ignore[arg-type]
                kind=form.cleaned_data["kind"],
                data=upload.read(importer.MAX_BYTES + 1),
                dry_run=dry_run,
            )
        except DomainError as exc:
            _form_error(form, exc)
            status = 422
        else:
            status = 200 if result.ok else 422
    elif request.method == "POST":
        status = 422
    context = {
        "title": "Import into the CMDB",
        "form": form,
        "result": result,
        "columns": {k: (importer.REQUIRED[k], importer.OPTIONAL[k]) for k in importer.KINDS},
        "can_import": request.user.is_admin,  # type: ignore[union-attr]
        "section": "import",
    }
    template = "cmdb/import.html#result" if request.htmx else "cmdb/import.html"  # type: ignore[attr-defined]
    # HTMX swaps only 2xx answers by default; the result panel says whether the file was clean.
    return render(request, template, context, status=200 if request.htmx else status)  # type: ignore[attr-defined]


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    _reader(request)
    response = JsonResponse(queries.export_data(), json_dumps_params={"indent": 2})
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="cmdb-{stamp}.json"'
    return response
