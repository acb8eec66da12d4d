"""API plumbing shared by every app's router: token authentication and the JSON error shape."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from backline.core.errors import DomainError

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}


# A database id: positive and within a signed 64-bit integer, so lookups never overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class StrictParser(Parser):
    """JSON bodies must be objects and no text may hold NUL characters (PostgreSQL refuses them)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("The request body must be a JSON object.")
        if _has_nul(data):
            raise ValueError("Text must not contain NUL characters.")
        return data

    def parse_querydict(self, data, list_fields, request):
        if any("\x00" in v for values in data.lists() for v in values[1]):
            raise HttpError(400, "Query parameters must not contain NUL characters.")
        return super().parse_querydict(data, list_fields, request)


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    """Every 4xx answer has this shape."""

    code: str
    message: str
    field: str | None = None
    errors: list[FieldError] = []


class TokenAuth(HttpBearer):
    """`Authorization: Bearer bl_…` with a token made by `backline token create` or the UI."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from backline.accounts.services import token_authenticate

        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """The browser session, so the interactive docs work for a signed-in user (CSRF enforced)."""


def error_body(code: str, message: str, field: str | None = None, errors=None) -> dict:
    return {"code": code, "message": message, "field": field, "errors": errors or []}


def _field_of(loc: list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file"}:
        # Drop the location, and the parameter's own name when it wraps a schema.
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every failure to a JSON 4xx naming the problem (and the field when there is one)."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": _field_of(e.get("loc", [])),
                "message": str(e.get("msg", "Invalid.")).removeprefix("Value error, "),
            }
            for e in exc.errors
        ]
        first = errors[0] if errors else {"field": None, "message": "Invalid input."}
        body = error_body(
            "invalid", f"{first['field']}: {first['message']}", first["field"], errors
        )
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body(
            "unauthorized",
            "Send a valid API token: Authorization: Bearer <token>.",
            "Authorization",
        )
        return api.create_response(request, body, status=401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = str(exc)
        field = "body" if exc.status_code == 400 else None
        if message.startswith("Cannot parse request body"):
            message = "The request body must be a JSON object without NUL characters."
        return api.create_response(
            request, error_body(code, message, field), status=exc.status_code
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body("not_found", "Not found."), status=404)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        body = error_body("too_large", "The request body is too large.", "body")
        return api.create_response(request, body, status=413)


def resolve_refs(data: dict[str, Any], refs: dict[str, Any]) -> dict[str, Any]:
    """Turn reference ids into objects (`refs` maps a field to its queryset), naming the field of
    any id that does not exist."""
    out = dict(data)
    for name, qs in refs.items():
        if out.get(name) is not None:
            obj = qs.filter(pk=out[name]).first()
            if obj is None:
                raise DomainError(f"No {name} with id {out[name]}.", field=name)
            out[name] = obj
    return out
