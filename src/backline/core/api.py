"""API plumbing shared by every app's router: token authentication and the JSON error shape."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
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


class RateLimited(DomainError):
    """Too many calls in the current minute; the answer carries `Retry-After`."""

    status = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InsufficientScope(DomainError):
    status = 403
    default_code = "insufficient_scope"


def _api_path(request: HttpRequest) -> str:
    """The request's path below the API root (`tickets/12`), for the scope rules."""
    try:
        root = reverse("api:api-root")
    except NoReverseMatch:
        root = "/api/v1/"
    path = request.path_info
    return path[len(root) :] if path.startswith(root) else path.lstrip("/")


def _rate_check(request: HttpRequest, key: str) -> None:
    from backline.accounts import ratelimit
    from backline.accounts.rules import rate_kind

    kind = rate_kind(request.method or "GET")
    verdict = ratelimit.hit(key, kind)
    if not verdict.allowed:
        raise RateLimited(
            f"Rate limit of {verdict.limit} {kind} calls a minute reached; "
            f"retry in {verdict.retry_after} s.",
            retry_after=verdict.retry_after,
        )


class TokenAuth(HttpBearer):
    """`Authorization: Bearer bl_…` with a token made by `backline token create` or the UI.

    This is the one place API tokens are checked: the token must be valid, within its rate
    limit, and its scope must cover the call (accounts.rules.required_scope)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from backline.accounts.rules import required_scope, scope_allows
        from backline.accounts.services import token_lookup

        api_token = token_lookup(token)
        if api_token is None:
            # A caller that sends a bearer token means token auth: answer 401 for a bad one
            # rather than falling through to the session check (and its CSRF refusal).
            raise AuthenticationError()
        _rate_check(request, f"token:{api_token.prefix}")
        need = required_scope(request.method or "GET", _api_path(request))
        if not scope_allows(api_token.scope, need):
            raise InsufficientScope(
                f"This token's scope is {api_token.scope!r}; this call needs a token with "
                f"scope {need.value!r} or higher.",
                field="Authorization",
            )
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]  # for the audit trail
        return api_token.user


class StaffSessionAuth(SessionAuth):
    """The browser session, so the interactive docs work for a signed-in user (CSRF enforced).

    A session acts with its user's full permissions (no token scope) but shares the rate limit."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            _rate_check(request, f"user:{user.pk}")
        return user


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

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = api.create_response(request, exc.as_dict(), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        # Calls without valid credentials are limited per client address, so guessing tokens
        # or hammering the API anonymously is cut off early.
        from backline.accounts import ratelimit

        address = request.META.get("REMOTE_ADDR") or "unknown"
        verdict = ratelimit.hit(f"ip:{address}", "anonymous")
        if not verdict.allowed:
            return rate_limited(
                request,
                RateLimited(
                    f"Too many unauthenticated calls from your address; "
                    f"retry in {verdict.retry_after} s.",
                    retry_after=verdict.retry_after,
                ),
            )
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
