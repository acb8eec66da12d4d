"""`AuditMiddleware`: makes each request the acting scope, and records what only the finished
response shows — permission denials (403), API token use, and sign-ins refused by the throttle.

Placed after AuthenticationMiddleware. The events it writes itself are written after the view,
outside its transactions, so a refused action that rolled back is still on record.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from backline.audit.choices import AuditAction, AuditSource
from backline.audit.context import AuditScope, bind
from backline.audit.services import audit_record, pending_flush

logger = logging.getLogger("backline.audit")

# At most one "token used" (and one "token refused") event per token per window and web process:
# a busy integration would otherwise double the API's writes. Its first use in each minute and
# every request's own changes (which name the token's user) are still on record.
TOKEN_WINDOW_SECONDS = 60
_BEARER = re.compile(r"^Bearer\s+bl_([A-Za-z0-9]{1,12})_\S+$")


def token_prefix(request: HttpRequest) -> str | None:
    """The public prefix of a `bl_<prefix>_<secret>` bearer token; never the secret."""
    match = _BEARER.match(request.META.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else None


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = AuditSource.API if request.path.startswith("/api/") else AuditSource.WEB
        with bind(AuditScope(source=source, request=request)) as scope:
            response = self.get_response(request)
            try:
                self._after(request, response, scope)
            except Exception:  # the response stands; the failure is in the server log
                logger.exception("could not record the audit events of %s", request.path)
        return response

    def _after(self, request: HttpRequest, response: HttpResponse, scope: AuditScope) -> None:
        status = response.status_code
        if scope.pending:
            pending_flush(scope)
        elif status == 403:
            audit_record(action=AuditAction.DENIED, changes={"status": 403}, scope=scope)
        if scope.source == AuditSource.API:
            self._token(request, status, scope)
        elif status == 429 and request.method == "POST" and _is_login(request):
            username = str(request.POST.get("username", ""))[:150]
            audit_record(
                action=AuditAction.LOGIN_FAILED,
                actor=None,
                object_type="accounts.user",
                object_label=username,
                changes={"reason": "throttled"},
                scope=scope,
            )

    def _token(self, request: HttpRequest, status: int, scope: AuditScope) -> None:
        prefix = token_prefix(request)
        if prefix is None:
            return
        if status == 401:
            action = AuditAction.TOKEN_REJECTED
        elif getattr(request, "auth", None):
            action = AuditAction.TOKEN_USED
        else:
            return
        if not cache.add(f"audit:{action}:{prefix}", 1, timeout=TOKEN_WINDOW_SECONDS):
            return
        audit_record(action=action, scope=scope, **_token_target(prefix))


def _token_target(prefix: str) -> dict[str, Any]:
    from backline.accounts.models import ApiToken

    token = ApiToken.objects.filter(prefix=prefix).only("pk", "name", "prefix").first()
    if token is None:
        return {"object_type": "accounts.apitoken", "object_label": f"unknown token {prefix}…"}
    return {
        "object_type": "accounts.apitoken",
        "object_id": str(token.pk),
        "object_label": f"{token.name} ({token.prefix}…)",
    }


def _is_login(request: HttpRequest) -> bool:
    try:
        return request.path == reverse("accounts:login")
    except NoReverseMatch:
        return False
