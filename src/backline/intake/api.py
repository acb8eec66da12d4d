"""Alert receivers: Prometheus Alertmanager, Grafana and generic JSON. Each authenticates with
its alert source's token (`Authorization: Bearer bla_…`), checked before the body is read, so a
caller without a valid token learns nothing about the payload format."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router
from ninja.security import HttpBearer

from backline.core.api import ErrorOut
from backline.core.idempotency import idempotent_response
from backline.intake import rules, services
from backline.intake.choices import Outcome, SourceKind
from backline.intake.models import AlertSource
from backline.intake.schemas import AlertmanagerIn, GenericIn, GrafanaIn, ReceivedOut

router = Router(tags=["intake"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 409, 413, 422, 429), ErrorOut)


class SourceToken(HttpBearer):
    """The alert source's own token; a token of another kind of source is refused (403)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __call__(self, request: HttpRequest) -> AlertSource:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        return services.alert_source_authenticate(token, self.kind)

    def authenticate(self, request: HttpRequest, token: str) -> AlertSource:
        return services.alert_source_authenticate(token, self.kind)


def _receive(
    request: HttpRequest, alerts: list[rules.Incoming], status: str, group_key: str = ""
) -> JsonResponse:
    source: AlertSource = request.auth  # type: ignore[attr-defined]
    digest = hashlib.sha256(request.body).hexdigest()

    def receive() -> tuple[int, dict]:
        note = services.alerts_receive(
            source=source, alerts=alerts, status=status, digest=digest, group_key=group_key
        )
        body = {
            "notification": note.pk,
            "received_at": note.received_at,
            "received": note.alert_count,
            "created": [o["ticket"] for o in note.outcomes if o["outcome"] == Outcome.CREATED],
            "outcomes": note.outcomes,
        }
        return 200, ReceivedOut(**body).model_dump(mode="json")

    return idempotent_response(
        user=source.requester,
        scope=f"alerts:{source.pk}",
        key=request.headers.get("Idempotency-Key"),
        payload={"digest": digest},
        create=receive,
    )


@router.post(
    "/alerts/alertmanager",
    auth=SourceToken(SourceKind.ALERTMANAGER),
    response={200: ReceivedOut, **ERRORS},
)
def alertmanager(request: HttpRequest, payload: AlertmanagerIn):
    """Alertmanager webhook (v4). Point a `webhook_configs` receiver here with
    `http_config.authorization.credentials` set to the source's token."""
    alerts = [a.incoming() for a in payload.alerts]
    return _receive(request, alerts, payload.status, payload.groupKey)


@router.post(
    "/alerts/grafana", auth=SourceToken(SourceKind.GRAFANA), response={200: ReceivedOut, **ERRORS}
)
def grafana(request: HttpRequest, payload: GrafanaIn):
    """Grafana alerting webhook contact point (Authorization header: Bearer + the token)."""
    alerts = [a.incoming() for a in payload.alerts]
    return _receive(request, alerts, payload.status, payload.groupKey)


@router.post(
    "/alerts/generic", auth=SourceToken(SourceKind.GENERIC), response={200: ReceivedOut, **ERRORS}
)
def generic(request: HttpRequest, payload: GenericIn):
    """One alert as plain JSON: `status`, `title`, and optionally `fingerprint`, `description`,
    `severity`, `labels`, `url`, `starts_at`, `ends_at`."""
    return _receive(request, [payload.incoming()], payload.status)
