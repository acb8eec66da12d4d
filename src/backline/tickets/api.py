"""API: tickets, their transitions, comments, attachments, watchers and links."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from backline.accounts.models import Team, User
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.api import ErrorOut, resolve_refs
from backline.core.errors import DomainError, NotFound
from backline.core.idempotency import idempotent_response
from backline.core.security import attachment_response
from backline.tickets import paging, queries, services
from backline.tickets.filters import TicketFilter
from backline.tickets.models import Category, Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.schemas import (
    AttachmentOut,
    CommentIn,
    CommentOut,
    EventOut,
    LinkIn,
    LinkOut,
    TicketByRefIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TransitionIn,
)

router = Router(tags=["tickets"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), ErrorOut)

_REFS: dict[str, Any] = {
    "requester": User.objects.filter(is_active=True),
    "assignee": User.objects.filter(is_active=True),
    "team": Team.objects.all(),
    "category": Category.objects.all(),
    "service": Service.objects.all(),
    "ci": ConfigurationItem.objects.all(),
}


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    return resolve_refs(data, _REFS)


@router.get("", response={200: TicketPage, **ERRORS})
def ticket_list(
    request: HttpRequest,
    filters: Query[TicketFilter],
    page: int = 1,
    page_size: int = 50,
    after: str | None = None,
    before: str | None = None,
):
    """Tickets, filtered and sorted. Deep lists page fastest by cursor: pass the `next` of one
    answer as `after` (or `previous` as `before`); `page` alone skips rows and slows with depth."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    if after and before:
        raise DomainError("Pass `after` or `before`, not both.", field="before")
    result = paging.paginate(
        queries.ticket_list(request.user, filters),
        filters.order,
        per_page=page_size,
        page=page,
        after=after,
        before=before,
    )
    return {
        "items": result.object_list,
        "count": result.count,
        "count_exact": result.count_exact,
        "page": result.number,
        "page_size": page_size,
        "pages": result.pages,
        "next": result.next_cursor,
        "previous": result.previous_cursor,
    }


@router.post("", response={201: TicketOut, 200: TicketOut, **ERRORS})
def ticket_create(request: HttpRequest, payload: TicketIn):
    """Create a ticket. With an `Idempotency-Key` header a retry returns the same ticket."""
    data = payload.dict()

    def create() -> tuple[int, dict]:
        ticket = services.ticket_create(actor=request.user, **_resolve(data))
        return 201, TicketOut.from_orm(ticket).model_dump(mode="json")

    return idempotent_response(
        user=request.user,
        scope="ticket_create",
        key=request.headers.get("Idempotency-Key"),
        payload=data,
        create=create,
    )


# Registered before the /{number} routes, so "by-ref" is never read as a ticket number.
@router.put("/by-ref/{system}/{external_id}", response={201: TicketOut, 200: TicketOut, **ERRORS})
def ticket_put_by_ref(request: HttpRequest, system: str, external_id: str, payload: TicketByRefIn):
    """Create the ticket for an L1 record, or return the one already made (200, unchanged)."""
    ticket, created = services.ticket_ensure_by_ref(
        actor=request.user,
        external_system=system,
        external_id=external_id,
        **_resolve(payload.dict()),
    )
    return Status(201 if created else 200, queries.ticket_get(request.user, str(ticket.pk)))


@router.get("/by-ref/{system}/{external_id}", response={200: TicketOut, **ERRORS})
def ticket_get_by_ref(request: HttpRequest, system: str, external_id: str):
    return ticket_by_ref(request.user, system, external_id)


def ticket_by_ref(user: User, system: str, external_id: str) -> Ticket:
    """The ticket for an L1 record (staff only); 404 naming `external_id` when there is none."""
    require_staff(user, "look tickets up by external reference")
    services.external_ref_clean(
        external_system=system, external_id=external_id, fields=("system", "external_id")
    )
    ticket = services.ticket_for_external_ref(system, external_id)
    if ticket is None:
        raise NotFound(f"No ticket for {system} record {external_id}.", field="external_id")
    return queries.ticket_get(user, str(ticket.pk))


@router.get("/{number}", response={200: TicketOut, **ERRORS})
def ticket_detail(request: HttpRequest, number: str):
    return queries.ticket_get(request.user, number)


@router.patch("/{number}", response={200: TicketOut, **ERRORS})
def ticket_patch(request: HttpRequest, number: str, payload: TicketPatch):
    ticket = queries.ticket_get(request.user, number)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    services.ticket_update(
        actor=request.user, ticket=ticket, version=version, changes=_resolve(changes)
    )
    return queries.ticket_get(request.user, number)


@router.post("/{number}/transitions", response={200: TicketOut, **ERRORS})
def ticket_transition(request: HttpRequest, number: str, payload: TransitionIn):
    ticket = queries.ticket_get(request.user, number)
    services.ticket_transition(actor=request.user, ticket=ticket, **payload.dict())
    return queries.ticket_get(request.user, number)


@router.get("/{number}/events", response={200: list[EventOut], **ERRORS})
def ticket_events(request: HttpRequest, number: str):
    ticket = queries.ticket_get(request.user, number)
    return queries.ticket_timeline(request.user, ticket)


@router.get("/{number}/comments", response={200: list[CommentOut], **ERRORS})
def comment_list(request: HttpRequest, number: str):
    ticket = queries.ticket_get(request.user, number)
    return [e.comment for e in queries.ticket_timeline(request.user, ticket) if e.comment]


@router.post("/{number}/comments", response={201: CommentOut, **ERRORS})
def comment_create(request: HttpRequest, number: str, payload: CommentIn):
    """Add a reply or an internal note. With an `Idempotency-Key` a retry returns the same one."""
    ticket = queries.ticket_get(request.user, number)
    data = payload.dict()

    def create() -> tuple[int, dict]:
        comment = services.ticket_comment(actor=request.user, ticket=ticket, **data)
        return 201, CommentOut.from_orm(comment).model_dump(mode="json")

    return idempotent_response(
        user=request.user,
        scope=f"comment_create:{ticket.pk}",
        key=request.headers.get("Idempotency-Key"),
        payload=data,
        create=create,
    )


@router.get("/{number}/attachments", response={200: list[AttachmentOut], **ERRORS})
def attachment_list(request: HttpRequest, number: str):
    ticket = queries.ticket_get(request.user, number)
    return queries.ticket_attachments(request.user, ticket)


@router.post("/{number}/attachments", response={201: AttachmentOut, **ERRORS})
def attachment_create(
    request: HttpRequest, number: str, file: File[UploadedFile], internal: Form[bool] = False
):
    """Upload a file (multipart field `file`); over the size limit gets 413."""
    ticket = queries.ticket_get(request.user, number)
    attachment = services.ticket_attach(
        actor=request.user, ticket=ticket, upload=file, internal=internal
    )
    return Status(201, attachment)


@router.get("/attachments/{attachment_id}", response={200: None, **ERRORS})
def attachment_download(request: HttpRequest, attachment_id: int):
    """Download a file; always served as an attachment, never inline."""
    attachment = queries.attachment_get(request.user, attachment_id)
    return attachment_response(attachment.file.open("rb"), filename=attachment.filename)


@router.post("/{number}/watchers", response={204: None, **ERRORS})
def watch(request: HttpRequest, number: str):
    """Watch the ticket as the calling user."""
    services.ticket_watch(actor=request.user, ticket=queries.ticket_get(request.user, number))
    return Status(204, None)


@router.delete("/{number}/watchers", response={204: None, **ERRORS})
def unwatch(request: HttpRequest, number: str):
    services.ticket_unwatch(actor=request.user, ticket=queries.ticket_get(request.user, number))
    return Status(204, None)


@router.get("/{number}/links", response={200: list[LinkOut], **ERRORS})
def link_list(request: HttpRequest, number: str):
    ticket = queries.ticket_get(request.user, number)
    require_staff(request.user, "see linked tickets")
    return [{**row, "ticket": row["ticket"].number} for row in queries.ticket_links(ticket)]


@router.post("/{number}/links", response={201: LinkOut, **ERRORS})
def link_create(request: HttpRequest, number: str, payload: LinkIn):
    ticket = queries.ticket_get(request.user, number)
    try:
        target = queries.ticket_get(request.user, payload.target)
    except DomainError as exc:
        # The URL names an existing ticket; a missing target is bad input, like an unknown team id.
        raise DomainError(exc.message, code="unknown_ticket", field="target") from exc
    link = services.ticket_link(actor=request.user, ticket=ticket, target=target, kind=payload.kind)
    return Status(
        201,
        {
            "id": link.pk,
            "kind": link.kind,
            "label": link.get_kind_display(),
            "ticket": target.number,
        },
    )


@router.delete("/{number}/links/{link_id}", response={204: None, **ERRORS})
def link_delete(request: HttpRequest, number: str, link_id: int):
    ticket = queries.ticket_get(request.user, number)
    services.ticket_unlink(actor=request.user, ticket=ticket, link_id=link_id)
    return Status(204, None)
