"""API: services, CI types, configuration items, dependencies, impact, CSV import and JSON
export (mounted at /api/v1/cmdb)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, JsonResponse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from backline.accounts.models import Team
from backline.cmdb import importer, queries, services
from backline.cmdb.filters import CiFilter
from backline.cmdb.models import ConfigurationItem, Dependency, Service
from backline.cmdb.schemas import (
    CiIn,
    CiOut,
    CiPage,
    CiPatch,
    CiTypeIn,
    CiTypeOut,
    CiTypePatch,
    DependencyIn,
    DependencyOut,
    ImpactOut,
    ImportOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)
from backline.core.api import ErrorOut, Id, resolve_refs
from backline.core.errors import DomainError, NotFound
from backline.core.idempotency import run_idempotent

router = Router(tags=["CMDB"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), ErrorOut)


def _refs() -> dict[str, Any]:
    return {
        "owner_team": Team.objects.all(),
        "service": Service.objects.all(),
        "source": ConfigurationItem.objects.all(),
        "target_ci": ConfigurationItem.objects.all(),
        "target_service": Service.objects.all(),
    }


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    return resolve_refs(data, _refs())


def _reader(request: HttpRequest) -> None:
    services.require_read(request.user)  # type: ignore[arg-type]


# --- services --------------------------------------------------------------------------------


@router.get("/services", response={200: list[ServiceOut], **ERRORS})
def service_list(request: HttpRequest):
    """Every business service, active first."""
    _reader(request)
    return list(queries.services_list())


@router.post("/services", response={201: ServiceOut, **ERRORS})
def service_create(request: HttpRequest, payload: ServiceIn):
    """Register a service (managers, or members of the owner team you name)."""
    return Status(201, services.service_create(actor=request.user, **_resolve(payload.dict())))


@router.get("/services/{service_id}", response={200: ServiceOut, **ERRORS})
def service_get(request: HttpRequest, service_id: Id):
    _reader(request)
    return queries.service_get(service_id)


@router.patch("/services/{service_id}", response={200: ServiceOut, **ERRORS})
def service_update(request: HttpRequest, service_id: Id, payload: ServicePatch):
    """Change a service's name, description, owner team, criticality or active flag."""
    service = queries.service_get(service_id)
    data = _resolve(payload.dict(exclude_unset=True))
    return services.service_update(actor=request.user, service=service, **data)


# --- CI types --------------------------------------------------------------------------------


@router.get("/ci-types", response={200: list[CiTypeOut], **ERRORS})
def ci_type_list(request: HttpRequest):
    """CI types with their attribute schemas."""
    _reader(request)
    return list(queries.ci_types_all())


@router.post("/ci-types", response={201: CiTypeOut, **ERRORS})
def ci_type_create(request: HttpRequest, payload: CiTypeIn):
    """Define a CI type (managers)."""
    data = payload.dict()
    data["attributes"] = [{k: v for k, v in a.items() if v is not None} for a in data["attributes"]]
    return Status(201, services.ci_type_create(actor=request.user, **data))


@router.patch("/ci-types/{slug}", response={200: CiTypeOut, **ERRORS})
def ci_type_update(request: HttpRequest, slug: str, payload: CiTypePatch):
    """Change a CI type's name, schema or expiry settings (managers)."""
    ci_type = services.ci_type_get(slug)
    data = payload.dict(exclude_unset=True)
    if "attributes" in data:
        data["attributes"] = [
            {k: v for k, v in a.items() if v is not None} for a in data["attributes"] or []
        ]
    return services.ci_type_update(actor=request.user, ci_type=ci_type, **data)


# --- configuration items ---------------------------------------------------------------------


@router.get("/cis", response={200: CiPage, **ERRORS})
def ci_list(request: HttpRequest, filters: Query[CiFilter], page: int = 1, page_size: int = 50):
    """Configuration items matching the filters, by name (or by expiry date with `expiring`)."""
    _reader(request)
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    result = Paginator(queries.items_list(filters), page_size).get_page(page)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.post("/cis", response={201: CiOut, 200: CiOut, **ERRORS})
def ci_create(request: HttpRequest, payload: CiIn):
    """Register a CI. With an `Idempotency-Key` header a retry returns the same CI."""
    data = payload.dict()

    def create() -> tuple[int, dict]:
        item = services.item_create(actor=request.user, **_resolve(data))
        return 201, CiOut.from_orm(item).model_dump(mode="json")

    status, body, replayed = run_idempotent(
        user=request.user,
        scope="cmdb.ci_create",
        key=request.headers.get("Idempotency-Key"),
        payload=data,
        create=create,
    )
    response = JsonResponse(body, status=200 if replayed else status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get("/cis/{ci_id}", response={200: CiOut, **ERRORS})
def ci_get(request: HttpRequest, ci_id: Id):
    _reader(request)
    return queries.item_get(ci_id)


@router.patch("/cis/{ci_id}", response={200: CiOut, **ERRORS})
def ci_update(request: HttpRequest, ci_id: Id, payload: CiPatch):
    """Edit a CI; send the `version` you read (a stale one gets 409 naming who changed it)."""
    item = queries.item_get(ci_id)
    data = _resolve(payload.dict(exclude_unset=True))
    version = data.pop("version")
    return services.item_update(actor=request.user, item=item, version=version, **data)


@router.get("/cis/{ci_id}/impact", response={200: ImpactOut, **ERRORS})
def ci_impact(request: HttpRequest, ci_id: Id):
    """Services and CIs downstream of the CI (what breaks when it breaks), nearest first."""
    _reader(request)
    item = queries.item_get(ci_id)
    impact = queries.ci_impact(item)
    return {
        "ci": item,
        "services": [{"id": s.pk, "name": s.name, "distance": d} for s, d in impact["services"]],
        "cis": [{"id": c.pk, "name": c.name, "distance": d} for c, d in impact["cis"]],
    }


# --- dependencies ----------------------------------------------------------------------------


@router.get("/dependencies", response={200: list[DependencyOut], **ERRORS})
def dependency_list(request: HttpRequest, ci: Id | None = None):
    """Every dependency, or those from or to one CI (`?ci=`)."""
    _reader(request)
    return list(queries.dependencies_list(ci_id=ci)[:5000])


@router.post("/dependencies", response={201: DependencyOut, **ERRORS})
def dependency_add(request: HttpRequest, payload: DependencyIn):
    """Record that a CI runs on, depends on or connects to a CI or a service."""
    return Status(201, services.dependency_add(actor=request.user, **_resolve(payload.dict())))


@router.delete("/dependencies/{dependency_id}", response={204: None, **ERRORS})
def dependency_remove(request: HttpRequest, dependency_id: Id):
    _reader(request)
    dep = Dependency.objects.select_related("source").filter(pk=dependency_id).first()
    if dep is None:
        raise NotFound(f"No dependency {dependency_id}.", field="dependency_id")
    services.dependency_remove(actor=request.user, dependency=dep)
    return Status(204, None)


# --- import and export -----------------------------------------------------------------------


@router.post("/import", response={200: ImportOut, **ERRORS})
def import_csv(request: HttpRequest, kind: str, file: File[UploadedFile], dry_run: bool = True):
    """Check a CSV file (`dry_run=true`, the default) or import it (managers). Every bad row is
    reported with its line, column and reason, and a file with any bad row imports nothing."""
    if file.size and file.size > importer.MAX_BYTES:
        raise DomainError("The file is larger than 5 MB.", field="file")
    file.seek(0)
    data = file.read(importer.MAX_BYTES + 1)
    result = importer.import_csv(actor=request.user, kind=kind, data=data, dry_run=dry_run)  # type: ignore[arg-type]
    return {
        **{k: getattr(result, k) for k in ImportOut.model_fields if k != "errors"},
        "errors": [vars(e) for e in result.errors],
    }


@router.get("/export", response={200: dict, **ERRORS})
def export(request: HttpRequest):
    """Services, CI types, CIs and dependencies as one JSON document (names, not ids)."""
    _reader(request)
    return queries.export_data()
