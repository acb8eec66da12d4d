"""Managers and admins who saved their email preferences before the weekly report existed chose
among the kinds there were: give them the new kind, as the defaults would (they can turn it off)."""

from django.db import migrations

KIND = "weekly_report"
MANAGER_ROLES = ("manager", "admin")


def add_weekly_report(apps, schema_editor):
    MailPreference = apps.get_model("mailout", "MailPreference")
    for pref in MailPreference.objects.filter(user__role__in=MANAGER_ROLES):
        if KIND not in (pref.kinds or []):
            pref.kinds = [*(pref.kinds or []), KIND]
            pref.save(update_fields=["kinds"])


class Migration(migrations.Migration):
    dependencies = [
        ("mailout", "0002_outbound_email_without_ticket"),
    ]

    operations = [
        migrations.RunPython(add_weekly_report, migrations.RunPython.noop),
    ]
