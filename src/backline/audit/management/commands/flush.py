"""Django's `flush`, allowed through the audit log's append-only triggers.

`flush` empties every table — the test suite's transactional tests do it after each test. That
whole-database wipe is the one thing the triggers let through: on SQLite the DELETE trigger asks
`backline_audit_maintenance()`, on PostgreSQL the TRUNCATE trigger reads the session setting
`backline.audit_maintenance`. Nothing else in the application sets either.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from backline.audit.context import maintenance

SETTING = "backline.audit_maintenance"


class Command(FlushCommand):
    help = FlushCommand.help + " This includes the audit log."

    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        postgres = connection.vendor == "postgresql"
        with maintenance():
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'on', false)", [SETTING])
            try:
                return super().handle(**options)
            finally:
                if postgres:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT set_config(%s, 'off', false)", [SETTING])
