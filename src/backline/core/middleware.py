"""Turn a DomainError that escapes an HTML view into a proper error page, never a 500."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from backline.core.errors import DomainError


class ApiJsonErrorMiddleware:
    """Under /api/, every error answer is JSON in the API's shape, even Django's own 404 and 405."""

    _CODES = {
        404: ("not_found", "No such endpoint."),
        405: ("method_not_allowed", "This method is not allowed here."),
        400: ("bad_request", "Bad request."),
        403: ("forbidden", "Forbidden."),
        413: ("too_large", "The request is too large."),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = self._CODES.get(response.status_code, ("error", "Request failed."))
            body = {"code": code, "message": message, "field": None, "errors": []}
            replacement = JsonResponse(body, status=response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        template = "partials/error.html" if getattr(request, "htmx", False) else "error.html"
        return render(
            request,
            template,
            {"error": exception, "title": exception.message},
            status=exception.status,
        )
