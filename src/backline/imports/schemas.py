"""API shapes of the imports app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class ImportRowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportJobOut(Schema):
    id: int
    kind: str
    filename: str
    dry_run: bool
    state: str
    rows_total: int
    rows_done: int
    percent: int
    created: int
    skipped: int
    error_count: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_created_by(obj) -> str:
        return obj.created_by.username


class ImportJobDetailOut(ImportJobOut):
    mapping: dict[str, Any]
    errors: list[ImportRowErrorOut]
    reason: str
    teams_created: list[dict[str, Any]]
    users_created: list[str]
    categories_created: list[str]

    @staticmethod
    def resolve_errors(obj) -> list:
        return obj.report.get("errors", [])

    @staticmethod
    def resolve_reason(obj) -> str:
        return obj.report.get("reason", "")

    @staticmethod
    def resolve_teams_created(obj) -> list:
        return obj.report.get("teams_created", [])

    @staticmethod
    def resolve_users_created(obj) -> list:
        return obj.report.get("users_created", [])

    @staticmethod
    def resolve_categories_created(obj) -> list:
        return obj.report.get("categories_created", [])


class ImportJobPage(Schema):
    items: list[ImportJobOut]
    count: int
    page: int
    page_size: int
    pages: int
