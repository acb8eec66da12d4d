"""CSV import of services, CIs and dependencies, and the JSON export.

A file has a header row with fixed column names (case and surrounding spaces ignored; `*` =
required):

- services:      name*, description, owner_team, criticality, active
- cis:           name*, type*, service, owner_team, environment, criticality, status,
                 expires_at, description, and one `attr.<name>` column per attribute of the type
- dependencies:  source*, kind*, target_ci, target_service (exactly one target per row)

Teams, services and CIs are named, not numbered. Rows upsert by name: an existing service or CI
is updated with the columns the file has (an empty `attr.x` cell removes that attribute), a
dependency that already exists is left alone.

Every row is checked and then written through the services, each in its own savepoint, inside
one transaction; if any row is bad (or on a dry run) the whole transaction is rolled back. So a
dry run reports exactly what a real import would refuse — every bad row, with its line as a
spreadsheet shows it, the column and the reason — and a file with a bad row changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from backline.accounts.models import Team, User
from backline.cmdb import rules, services
from backline.cmdb.models import CiType, ConfigurationItem, Dependency, Service
from backline.core.errors import DomainError, PermissionDenied

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
KINDS = ("services", "cis", "dependencies")

REQUIRED: dict[str, tuple[str, ...]] = {
    "services": ("name",),
    "cis": ("name", "type"),
    "dependencies": ("source", "kind"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "services": ("description", "owner_team", "criticality", "active"),
    "cis": ("service", "owner_team", "environment", "criticality", "status", "expires_at",
            "description"),
    "dependencies": ("target_ci", "target_service"),
}  # fmt: skip
ATTR = "attr."


@dataclass
class RowError:
    line: int
    column: str
    reason: str


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> bool:
        return self.ok and not self.dry_run and self.rows > 0

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


class _Bad(Exception):
    """A row's problems, collected before any write."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


# --- reading the file ----------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding used: UTF-8 (with or without BOM), UTF-16 with a BOM, or
    Windows-1252 (what older spreadsheet exports write)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


def sniff_delimiter(text: str) -> str:
    """Comma unless the header line clearly uses ; tab or | (European spreadsheets use ;)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def rows_of(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for each non-blank record; quoted cells may span
    lines, so the line is where the record starts, as a spreadsheet or editor shows it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last = 0
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(c.strip() for c in cells):
                yield start, cells
    except csv.Error as exc:
        raise DomainError(
            f"Line {reader.line_num}: the file is not valid CSV ({exc}).", field="file"
        ) from exc


# --- checking rows -------------------------------------------------------------------------


class _Lookups:
    """Names → objects, read once per import (case-insensitive for teams)."""

    def __init__(self) -> None:
        self.teams = {t.name.lower(): t for t in Team.objects.all()}
        self.services = {s.name: s for s in Service.objects.all()}
        self.items = {c.name: c for c in ConfigurationItem.objects.all()}
        self.types = {t.slug: t for t in CiType.objects.all()}

    def team(self, name: str) -> Team:
        found = self.teams.get(name.strip().lower())
        if found is None:
            raise ValueError(f"no team named {name!r}")
        return found

    def service(self, name: str) -> Service:
        found = self.services.get(name.strip())
        if found is None:
            raise ValueError(f"no service named {name!r}")
        return found

    def item(self, name: str) -> ConfigurationItem:
        found = self.items.get(name.strip())
        if found is None:
            raise ValueError(f"no CI named {name!r}")
        return found


def _cells(
    row: dict[str, str], parsers: dict[str, Callable[[str], Any]], problems: list
) -> dict[str, Any]:
    """Parse the non-empty cells of `row` that have a parser; note each failure."""
    out: dict[str, Any] = {}
    for column, parse in parsers.items():
        if column not in row:
            continue
        raw = row[column].strip()
        if not raw:
            out[column] = None
            continue
        try:
            out[column] = parse(raw)
        except ValueError as exc:
            problems.append((column, str(exc)))
    return out


def _text(limit: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > limit:
            raise ValueError(f"at most {limit} characters")
        return raw

    return parse


def _service_row(row: dict[str, str], look: _Lookups) -> tuple[str, dict[str, Any]]:
    problems: list[tuple[str, str]] = []
    values = _cells(
        row,
        {"name": _text(120), "description": _text(5000), "owner_team": look.team,
         "criticality": rules.parse_criticality, "active": rules.parse_bool},
        problems,
    )  # fmt: skip
    if not values.get("name") and not any(c == "name" for c, _ in problems):
        problems.append(("name", "name is required"))
    if problems:
        raise _Bad(problems)
    name = values.pop("name")
    if "active" in values:
        active = values.pop("active")
        values["is_active"] = True if active is None else active
    if values.get("criticality") is None:
        values.pop("criticality", None)
    if "description" in values:
        values["description"] = values["description"] or ""
    return name, values


def _ci_row(row: dict[str, str], look: _Lookups) -> tuple[str, dict[str, Any]]:
    problems: list[tuple[str, str]] = []
    values = _cells(
        row,
        {"name": _text(160), "type": _text(40), "service": look.service,
         "owner_team": look.team, "environment": rules.parse_environment,
         "criticality": rules.parse_criticality, "status": rules.parse_status,
         "expires_at": rules.parse_date, "description": _text(5000)},
        problems,
    )  # fmt: skip
    for column in REQUIRED["cis"]:
        if not values.get(column) and not any(c == column for c, _ in problems):
            problems.append((column, f"{column} is required"))
    ci_type = look.types.get(values.get("type") or "")
    if values.get("type") and ci_type is None:
        known = ", ".join(sorted(look.types))
        problems.append(("type", f"unknown CI type {values['type']!r} (known: {known})"))
    if ci_type is not None:
        existing = look.items.get(values.get("name") or "")
        attrs = dict(existing.attributes) if existing and existing.ci_type == ci_type.slug else {}
        names = {a["name"] for a in ci_type.attributes}
        for column, raw in row.items():
            name = column.removeprefix(ATTR)
            # A mixed file has columns for other types' attributes: blank there is fine.
            if column.startswith(ATTR) and (raw.strip() or name in names):
                attrs[name] = raw.strip() or None
        try:
            values["attributes"] = rules.validate_attributes(ci_type.attributes, attrs)
        except DomainError as exc:
            problems.extend(
                (e["field"].replace("attributes.", ATTR, 1), e["message"]) for e in exc.errors
            )
    if problems:
        raise _Bad(problems)
    name = values.pop("name")
    values["ci_type"] = values.pop("type")
    for column in ("environment", "criticality", "status"):
        if values.get(column) is None:
            values.pop(column, None)
    if "description" in values:
        values["description"] = values["description"] or ""
    return name, values


def _dependency_row(row: dict[str, str], look: _Lookups) -> tuple[str, dict[str, Any]]:
    problems: list[tuple[str, str]] = []
    values = _cells(
        row,
        {"source": look.item, "kind": rules.parse_kind, "target_ci": look.item,
         "target_service": look.service},
        problems,
    )  # fmt: skip
    for column in REQUIRED["dependencies"]:
        if values.get(column) is None and not any(c == column for c, _ in problems):
            problems.append((column, f"{column} is required"))
    targets = [c for c in ("target_ci", "target_service") if row.get(c, "").strip()]
    if len(targets) != 1:
        problems.append(("target_ci", "give exactly one of target_ci and target_service"))
    elif values.get("source") and values.get("source") == values.get("target_ci"):
        problems.append(("target_ci", "a CI cannot depend on itself"))
    if problems:
        raise _Bad(problems)
    source = values["source"]
    target = values.get("target_ci") or values.get("target_service")
    key = f"{source.name}|{values['kind']}|{targets[0]}|{target.name}"
    return key, values


_CHECK = {"services": _service_row, "cis": _ci_row, "dependencies": _dependency_row}


# --- writing rows --------------------------------------------------------------------------


def _write(kind: str, key: str, values: dict[str, Any], actor: User, look: _Lookups) -> str:
    """Create or update one checked row; 'created', 'updated' or 'unchanged'."""
    if kind == "services":
        found = look.services.get(key)
        if found is None:
            look.services[key] = services.service_create(actor=actor, name=key, **values)
            return "created"
        services.service_update(actor=actor, service=found, **values)
        return "updated"
    if kind == "cis":
        item = look.items.get(key)
        if item is None:
            look.items[key] = services.item_create(actor=actor, name=key, **values)
            return "created"
        changed = services.item_update(actor=actor, item=item, version=None, **values)
        return "updated" if changed.version != item.version else "unchanged"
    target = {k: values.get(k) for k in ("target_ci", "target_service")}
    if Dependency.objects.filter(source=values["source"], kind=values["kind"], **target).exists():
        return "unchanged"
    services.dependency_add(actor=actor, source=values["source"], kind=values["kind"], **target)
    return "created"


_FIELD_TO_COLUMN = {"ci_type": "type", "is_active": "active"}


def _column_of(name: str) -> str:
    if name.startswith("attributes."):
        return name.replace("attributes.", ATTR, 1)
    return _FIELD_TO_COLUMN.get(name, name)


# --- the import ----------------------------------------------------------------------------


def _header(cells: list[str], kind: str, result: ImportResult) -> list[str]:
    columns = [c.strip().lower() for c in cells]
    allowed = set(REQUIRED[kind]) | set(OPTIONAL[kind])
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            result.errors.append(RowError(1, column, "column appears twice"))
        seen.add(column)
        if column not in allowed and not (kind == "cis" and column.startswith(ATTR)):
            hint = ", ".join([*REQUIRED[kind], *OPTIONAL[kind]])
            if kind == "cis":
                hint += ", attr.<attribute>"
            result.errors.append(RowError(1, column or "(blank)", f"unknown column; use {hint}"))
    for column in REQUIRED[kind]:
        if column not in seen:
            result.errors.append(RowError(1, column, "required column is missing"))
    return columns


def import_csv(*, actor: User, kind: str, data: bytes, dry_run: bool = True) -> ImportResult:
    """Check (and unless `dry_run`, import) a CSV file of services, CIs or dependencies; with
    any bad row nothing is written. Admins only (docs/security.md)."""
    if kind not in KINDS:
        raise DomainError(f"kind must be one of {', '.join(KINDS)}.", field="kind")
    if not (services.can_read(actor) and actor.is_admin):
        raise PermissionDenied("Only admins can import into the CMDB.")
    if len(data) > MAX_BYTES:
        raise DomainError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.", field="file")
    text, encoding = decode(data)
    if "\x00" in text:
        raise DomainError("The file is not a text CSV file.", field="file")
    delimiter = sniff_delimiter(text)
    result = ImportResult(kind=kind, dry_run=dry_run, encoding=encoding, delimiter=delimiter)
    records = rows_of(text, delimiter)
    first = next(records, None)
    if first is None:
        raise DomainError("The file is empty; it needs a header row.", field="file")
    columns = _header(first[1], kind, result)
    if result.errors:
        return result
    with transaction.atomic():
        _run(kind, columns, records, actor, result)
        if result.errors or dry_run:
            transaction.set_rollback(True)
    # On a dry run the counts say what the import would do; nothing was kept.
    result.errors.sort(key=lambda e: e.line)
    return result


def _run(
    kind: str,
    columns: list[str],
    records: Iterator[tuple[int, list[str]]],
    actor: User,
    result: ImportResult,
) -> None:
    look = _Lookups()
    first_seen: dict[str, int] = {}
    for line, cells in records:
        result.rows += 1
        if result.rows > MAX_ROWS:
            result.errors.append(RowError(line, "", f"more than {MAX_ROWS:,} rows; split the file"))
            return
        if len(cells) > len(columns):
            result.errors.append(
                RowError(line, "", f"{len(cells)} cells but the header has {len(columns)}")
            )
            continue
        row = dict(zip(columns, cells, strict=False))
        try:
            key, values = _CHECK[kind](row, look)
        except _Bad as bad:
            result.errors.extend(RowError(line, c, r) for c, r in bad.problems)
            continue
        column = "name" if kind != "dependencies" else "source"
        if key in first_seen:
            result.errors.append(RowError(line, column, f"repeats line {first_seen[key]}"))
            continue
        first_seen[key] = line
        try:
            with transaction.atomic():
                outcome = _write(kind, key, values, actor, look)
        except DomainError as exc:
            for e in exc.errors or [{"field": exc.field or "", "message": exc.message}]:
                column = _column_of(e.get("field") or "")
                result.errors.append(RowError(line, column, e["message"]))
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
