"""Database triggers that make the audit log append-only for every client, not only the ORM.

UPDATE and DELETE are refused, with one exception each:
- the seal: an UPDATE of a row whose `seq` is still NULL that fills `seq` (and `prev_hash`,
  `hash`) and changes no other column — done once per row, right after its transaction commits;
- the `flush` command's whole-database wipe (audit/management/commands/flush.py): on SQLite the
  DELETE trigger asks the connection function `backline_audit_maintenance()` (registered by the
  app on each connection; a client without it gets an error, which refuses the DELETE too), on
  PostgreSQL only TRUNCATE is let through, and only with `backline.audit_maintenance` = on.

Keep COLUMNS in step with the model: a column the trigger does not list could be changed.
"""

from django.db import migrations

TABLE = "audit_auditevent"
# Every column but the three the seal fills.
COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "source",
    "ip",
    "user_agent",
    "method",
    "path",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
)
MESSAGE = "audit_auditevent is append-only"

_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLUMNS)
SQLITE_FORWARD = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
    WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR {_changed}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {TABLE}
    WHEN backline_audit_maintenance() = 0
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
]

_old = ", ".join(f"OLD.{c}" for c in COLUMNS)
_new = ", ".join(f"NEW.{c}" for c in COLUMNS)
POSTGRES_FORWARD = [
    f"""CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND ROW({_new}) IS NOT DISTINCT FROM ROW({_old}) THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'TRUNCATE'
           AND coalesce(current_setting('backline.audit_maintenance', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' refused',
            ERRCODE = 'integrity_constraint_violation';
    END $$""",
    f"""CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard()""",
    f"""CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard()""",
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_event_guard()",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_events")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
