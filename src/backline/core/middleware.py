"""Turn a DomainError that escapes an HTML view into a proper error page, never a 500."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backline.core.errors import DomainError


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
