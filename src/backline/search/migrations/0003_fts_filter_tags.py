"""SQLite: the FTS5 index also holds each document's filter values as tokens (`tags`), so a
common word with a narrow filter (service, CI, category, team, status, owner; the kind too, for
a requester's "own tickets or any article") is intersected
inside FTS5 instead of joining every match of the word. Recreates the FTS table, its triggers and
a view that computes the tags (the external content FTS5 reads on `rebuild`), then rebuilds the
index. No-op on PostgreSQL, whose planner combines the GIN and B-tree indexes itself.

`backends.filter_tag()` builds the same tokens in Python; keep the two in step.
"""

from django.db import migrations

FTS = "search_fts"
TABLE = "search_searchdocument"
SOURCE = "search_fts_source"  # the FTS5 external content: the rows plus their tags

# NULL-safe (`' svc' || NULL` is NULL); the status is hex-encoded, so a value like
# `in_progress` stays one token (unicode61 splits on `_`). Keep in step with filter_tags().
_TAGS = (
    "trim("
    "coalesce(' svc' || {r}.service_id, '') || "
    "coalesce(' ci' || {r}.ci_id, '') || "
    "coalesce(' cat' || {r}.category_id, '') || "
    "coalesce(' team' || {r}.team_id, '') || "
    "coalesce(' own' || {r}.owner_id, '') || "
    "' st' || hex(coalesce({r}.status, '')) || "
    "' kd' || hex({r}.kind)"
    ")"
)
_COLUMNS = "title, keywords, body, kind, tags"


def _values(r: str) -> str:
    return f"{r}.id, {r}.title, {r}.keywords, {r}.body, {r}.kind, {_TAGS.format(r=r)}"


SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TABLE IF EXISTS {FTS}",
    f"DROP VIEW IF EXISTS {SOURCE}",
]

SQLITE_FORWARD = [
    *SQLITE_DROP,
    f"""CREATE VIEW {SOURCE}(id, {_COLUMNS}) AS SELECT {_values("d")} FROM {TABLE} AS d""",  # noqa: S608 - constant identifiers
    f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
        {_COLUMNS},
        content='{SOURCE}', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    # As in 0002: the triggers keep the index in step with every write of a row, in the
    # writer's transaction; an update of any filter column rewrites the entry with its tags.
    f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, {_COLUMNS}) VALUES ({_values("new")});
    END""",  # noqa: S608 - constant identifiers
    f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {_COLUMNS}) VALUES ('delete', {_values("old")});
    END""",  # noqa: S608 - constant identifiers
    f"""CREATE TRIGGER {FTS}_au AFTER UPDATE OF title, keywords, body, kind, status, owner_id,
        team_id, service_id, ci_id, category_id ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {_COLUMNS}) VALUES ('delete', {_values("old")});
        INSERT INTO {FTS}(rowid, {_COLUMNS}) VALUES ({_values("new")});
    END""",  # noqa: S608 - constant identifiers
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",  # noqa: S608 - constant identifiers
]

# Back to 0002's table and triggers (without tags).
_OLD = "title, keywords, body, kind"


def _old(r: str) -> str:
    return f"{r}.id, {r}.title, {r}.keywords, {r}.body, {r}.kind"


SQLITE_BACKWARD = [
    *SQLITE_DROP,
    f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
        {_OLD}, content='{TABLE}', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, {_OLD}) VALUES ({_old("new")});
    END""",  # noqa: S608 - constant identifiers
    f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {_OLD}) VALUES ('delete', {_old("old")});
    END""",  # noqa: S608 - constant identifiers
    f"""CREATE TRIGGER {FTS}_au AFTER UPDATE OF {_OLD} ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {_OLD}) VALUES ('delete', {_old("old")});
        INSERT INTO {FTS}(rowid, {_OLD}) VALUES ({_old("new")});
    END""",  # noqa: S608 - constant identifiers
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",  # noqa: S608 - constant identifiers
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext_index")]

    operations = [migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD))]
