"""The full-text index for the database in use: an FTS5 table on SQLite, a GIN index on
PostgreSQL (the SearchVectorField is only filled there)."""

from django.db import migrations

FTS = "search_fts"
TABLE = "search_searchdocument"

SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
        title, keywords, body, kind,
        content='{TABLE}', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    # `kind` is indexed too, so a search of one kind (articles among a million tickets) is
    # narrowed inside FTS5 instead of by the join. The triggers keep the external-content index in step with every write of a row, in the
    # writer's transaction: services, bulk inserts, deletes and the test suite's flushes alike.
    f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, title, keywords, body, kind)
        VALUES (new.id, new.title, new.keywords, new.body, new.kind);
    END""",  # noqa: S608 - constant identifiers
    f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title, keywords, body, kind)
        VALUES ('delete', old.id, old.title, old.keywords, old.body, old.kind);
    END""",  # noqa: S608 - constant identifiers
    f"""CREATE TRIGGER {FTS}_au AFTER UPDATE OF title, keywords, body, kind ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title, keywords, body, kind)
        VALUES ('delete', old.id, old.title, old.keywords, old.body, old.kind);
        INSERT INTO {FTS}(rowid, title, keywords, body, kind)
        VALUES (new.id, new.title, new.keywords, new.body, new.kind);
    END""",  # noqa: S608 - constant identifiers
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",  # noqa: S608 - constant identifiers
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_FORWARD = [f"CREATE INDEX searchdoc_vector_gin ON {TABLE} USING gin (search_vector)"]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS searchdoc_vector_gin"]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_documents")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
