from __future__ import annotations

from datetime import datetime

from ninja import Schema

from backline.accounts.schemas import UserRef


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str
    ticket_number: str
    actor: UserRef | None
    created_at: datetime
    read_at: datetime | None
    is_read: bool

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_is_read(obj) -> bool:
        return obj.read_at is not None


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int
    unread: int
    page: int
    page_size: int
    pages: int


class MarkedOut(Schema):
    marked: int
