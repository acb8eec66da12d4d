"""Pages of a ticket list that stay fast a million tickets deep.

Two costs grow with the table under Django's `Paginator`: the exact COUNT of everything that
matches (for an agent, every row checked against the visibility rule), and the OFFSET of a deep
page (every skipped row read and checked). Here:

- **The count stops at `COUNT_CAP` (1,000).** Up to it the count is exact; beyond it the page
  says "more than 1,000", and the number of pages is not known. Counting stops as soon as the
  cap is passed, so its cost is bounded however long the list is.
- **Next and previous follow a cursor** (keyset pagination): the sort values of the last (or
  first) row shown, so page 1,000 is read with a range condition on the sort's index instead of
  skipping 50,000 rows. A cursor is opaque to clients (base64 of JSON). Sorts on computed values
  (SLA due with NULLs last, status rank, at-risk) have no cursor: their lists are the open
  tickets, short by nature, and page with OFFSET. A `page` number alone still works (OFFSET).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from backline.core.errors import DomainError

COUNT_CAP = 1_000


@dataclass
class TicketPage:
    """One page of a ticket list, with what the pager needs."""

    object_list: list[Any]
    number: int  # 1-based, as shown
    per_page: int
    count: int  # exact when `count_exact`, else the cap (there are more)
    count_exact: bool
    next_cursor: str | None = None
    previous_cursor: str | None = None
    has_next: bool = False
    has_previous: bool = False
    fields: tuple[str, ...] = field(default=())

    @property
    def pages(self) -> int | None:
        """How many pages in all, when the count is exact."""
        if not self.count_exact:
            return None
        return max(1, -(-self.count // self.per_page))

    def links(self, params: str) -> tuple[str | None, str | None]:
        """The previous and next page's query strings ("?…"), given the list's other parameters
        (already URL-encoded, without page and cursors)."""
        prefix = f"?{params}&" if params else "?"
        previous = next_ = None
        if self.has_previous:
            cursor = f"before={self.previous_cursor}&" if self.previous_cursor else ""
            previous = f"{prefix}{cursor}page={self.number - 1}"
        if self.has_next:
            cursor = f"after={self.next_cursor}&" if self.next_cursor else ""
            next_ = f"{prefix}{cursor}page={self.number + 1}"
        return previous, next_

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)


def keyset_fields(order: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The order as plain field names ("-updated_at"), or None when it sorts on expressions."""
    names = tuple(item for item in order if isinstance(item, str))
    if len(names) != len(order) or "status_rank" in {n.lstrip("-") for n in names}:
        return None
    return names


def paginate(
    qs: QuerySet,
    order: tuple[Any, ...],
    *,
    per_page: int,
    page: int | str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> TicketPage:
    """One page of `qs` (already ordered by `order`): after or before a cursor, else by number.

    Bad numbers or cursors raise DomainError (a 400), as any other bad parameter does."""
    number = _number(page)
    fields = keyset_fields(order)
    if (after or before) and fields is None:
        raise DomainError("This sort order pages by number, not by cursor.", field="after")
    count, exact = _capped_count(qs)
    if fields is not None and (after or before):
        values = _decode(after or before or "", fields)
        forward = bool(after)
        rows = _beyond(qs, fields, values, forward=forward, limit=per_page + 1)
        more = len(rows) > per_page
        # The row beyond the page is the last one going forward, the first one going back.
        rows = rows[:per_page] if forward else rows[len(rows) - min(len(rows), per_page) :]
        has_next, has_previous = (more, True) if forward else (True, more)
        if not forward and not more:
            number = 1  # went back to the start, whatever the page number said
    else:
        start = (number - 1) * per_page
        # Past the end of a list whose length is known: nothing to read (an OFFSET that skips
        # every matching row still has to find them all).
        past_end = exact and start >= count
        rows = [] if past_end else list(qs[start : start + per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_previous = number > 1
    result = TicketPage(
        object_list=rows,
        number=number,
        per_page=per_page,
        count=count,
        count_exact=exact,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        fields=fields or (),
    )
    if fields and rows:
        result.next_cursor = encode(rows[-1], fields) if result.has_next else None
        result.previous_cursor = encode(rows[0], fields) if result.has_previous else None
    return result


def _number(page: int | str | None) -> int:
    if page in (None, ""):
        return 1
    try:
        number = int(page)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DomainError("page must be a whole number.", field="page") from None
    if not 1 <= number <= 10**7:
        raise DomainError("page must be between 1 and 10,000,000.", field="page")
    return number


def _capped_count(qs: QuerySet) -> tuple[int, bool]:
    """The number of rows up to COUNT_CAP, and whether it is exact."""
    found = qs.order_by()[: COUNT_CAP + 1].count()
    return (found, True) if found <= COUNT_CAP else (COUNT_CAP, False)


def encode(row: Any, fields: tuple[str, ...]) -> str:
    values = []
    for name in fields:
        value = getattr(row, name.lstrip("-"))
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, fields: tuple[str, ...]) -> list[Any]:
    bad = DomainError(
        "This page link is out of date or broken; start again from page 1.", field="after"
    )
    if len(cursor) > 2000:
        raise bad
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != len(fields):
        raise bad
    out: list[Any] = []
    for name, value in zip(fields, values, strict=True):
        if name.lstrip("-").endswith("_at"):
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise bad
            out.append(parsed)
        elif name.lstrip("-") in ("id", "priority"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise bad
            out.append(value)
        elif isinstance(value, str):
            out.append(value)
        else:
            raise bad
    return out


def _beyond(
    qs: QuerySet, fields: tuple[str, ...], values: list[Any], *, forward: bool, limit: int
) -> list[Any]:
    """Up to `limit` rows after (or before) the cursor row, in list order (for `before`, the
    rows just before it, still in list order).

    "After (a, b, c)" is (a = x and b = y and c beyond z), then (a = x and b beyond y), then
    (a beyond x): each branch is a range on the sort's index, read in turn until the page is
    full. One OR of the three would make the database walk from the top of the list instead."""
    rows: list[Any] = []
    for depth in range(len(fields), 0, -1):
        leading = zip(fields[: depth - 1], values[: depth - 1], strict=True)
        equal = {name.lstrip("-"): value for name, value in leading}
        name, value = fields[depth - 1], values[depth - 1]
        op = "lt" if name.startswith("-") == forward else "gt"
        branch = qs.filter(**equal, **{f"{name.lstrip('-')}__{op}": value})
        if not forward:
            branch = branch.reverse()
        rows.extend(branch[: limit - len(rows)])
        if len(rows) >= limit:
            break
    if not forward:
        rows.reverse()
    return rows
