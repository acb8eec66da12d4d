"""Receiver payloads (Alertmanager webhook v4, Grafana alerting webhook, generic JSON), each
turned into `rules.Incoming`, and the receivers' answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime, StringConstraints, model_validator

from backline.intake import rules

Status = Literal["firing", "resolved"]
LabelName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Labels = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(max_length=2000)]], Field(max_length=100)
]
Annotations = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(max_length=20_000)]], Field(max_length=100)
]
Url = Annotated[str, StringConstraints(max_length=1000)]


def _fingerprint(given: str | None, labels: dict[str, str]) -> str:
    return (given or "").strip() or rules.fingerprint_of(labels)


class _Alert(Schema):
    status: Status
    labels: Labels = {}
    annotations: Annotations = {}
    startsAt: AwareDatetime | None = None
    endsAt: AwareDatetime | None = None
    generatorURL: Url = ""
    fingerprint: Annotated[str, StringConstraints(max_length=128)] = ""

    @model_validator(mode="after")
    def _named(self):
        if not self.labels and not self.fingerprint.strip():
            raise ValueError("An alert needs labels or a fingerprint.")
        return self

    def _base(self) -> dict:
        return {
            "status": self.status,
            "fingerprint": _fingerprint(self.fingerprint, self.labels),
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": rules.real_time(self.startsAt),
            "ends_at": rules.real_time(self.endsAt),
            "url": self.generatorURL,
        }


class AlertmanagerAlert(_Alert):
    def incoming(self) -> rules.Incoming:
        return rules.Incoming(**self._base())


class AlertmanagerIn(Schema):
    """Prometheus Alertmanager's webhook payload (version 4)."""

    version: str = "4"
    groupKey: Annotated[str, StringConstraints(max_length=2000)] = ""
    truncatedAlerts: int = 0
    status: Status
    receiver: str = ""
    groupLabels: Labels = {}
    commonLabels: Labels = {}
    commonAnnotations: Annotations = {}
    externalURL: Url = ""
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=500)


class GrafanaAlert(_Alert):
    dashboardURL: Url = ""
    panelURL: Url = ""
    silenceURL: Url = ""
    values: dict[str, float | int | None] | None = None
    valueString: Annotated[str, StringConstraints(max_length=5000)] = ""

    def incoming(self) -> rules.Incoming:
        links = tuple(
            (label, url)
            for label, url in (("Dashboard", self.dashboardURL), ("Panel", self.panelURL))
            if url
        )
        return rules.Incoming(**self._base(), links=links, values=dict(self.values or {}))


class GrafanaIn(Schema):
    """Grafana alerting's webhook contact point payload."""

    receiver: str = ""
    status: Status
    orgId: int | None = None
    groupKey: Annotated[str, StringConstraints(max_length=2000)] = ""
    groupLabels: Labels = {}
    commonLabels: Labels = {}
    commonAnnotations: Annotations = {}
    externalURL: Url = ""
    version: str = "1"
    title: str = ""
    state: str = ""
    message: str = ""
    truncatedAlerts: int = 0
    alerts: list[GrafanaAlert] = Field(min_length=1, max_length=500)


class GenericIn(Schema):
    """One alert from any tool: send the same fingerprint (or title and labels) to resolve it."""

    status: Status
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    fingerprint: Annotated[str, StringConstraints(max_length=128)] | None = None
    description: Annotated[str, StringConstraints(max_length=20_000)] = ""
    severity: Annotated[str, StringConstraints(max_length=50)] | None = None
    labels: Labels = {}
    url: Url = ""
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    def incoming(self) -> rules.Incoming:
        labels = {"alertname": self.title, **self.labels}
        if self.severity:
            labels.setdefault("severity", self.severity)
        annotations = {"description": self.description} if self.description else {}
        return rules.Incoming(
            status=self.status,
            fingerprint=_fingerprint(self.fingerprint, labels),
            labels=labels,
            annotations=annotations,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            url=self.url,
            title=self.title,
        )


class OutcomeOut(Schema):
    alert: int | None
    fingerprint: str
    name: str
    status: str
    outcome: str
    ticket: str | None


class ReceivedOut(Schema):
    """What the notification did: one outcome per alert, and the incidents it opened."""

    notification: int
    received_at: datetime
    received: int
    created: list[str]
    outcomes: list[OutcomeOut]
