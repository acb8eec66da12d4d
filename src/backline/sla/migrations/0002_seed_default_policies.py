from django.db import migrations

OFFICE_WEEK = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
DAY = 10 * 60  # business minutes in an office day

# (name, priority, calendar, first response, resolution, L2 acceptance OLA)
POLICIES = [
    ("P1 Critical", 1, "24×7", 15, 4 * 60, 15),
    ("P2 High", 2, "Office hours", 30, 8 * 60, 30),
    ("P3 Moderate", 3, "Office hours", 4 * 60, 3 * DAY, None),
    ("P4 Low", 4, "Office hours", DAY, 10 * DAY, None),
]


def seed(apps, schema_editor):
    Calendar = apps.get_model("sla", "BusinessCalendar")
    Policy = apps.get_model("sla", "SlaPolicy")
    Ola = apps.get_model("sla", "OlaTarget")
    calendars = {
        "Office hours": Calendar.objects.get_or_create(
            name="Office hours",
            defaults={
                "timezone": "Europe/Berlin",
                "week": OFFICE_WEEK,
                "country": "DE",
                "subdivision": "BY",
            },
        )[0],
        "24×7": Calendar.objects.get_or_create(
            name="24×7", defaults={"timezone": "Europe/Berlin", "week": ALWAYS}
        )[0],
    }
    for position, (name, priority, calendar, first, resolution, accept) in enumerate(POLICIES):
        policy, created = Policy.objects.get_or_create(
            name=name,
            defaults={
                "position": position,
                "priorities": [priority],
                "calendar": calendars[calendar],
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "pause_reasons": ["requester", "vendor"],
                "warn_share": 0.75,
                "warning_actions": ["notify_assignee", "notify_team"],
                "breach_actions": ["notify_assignee", "notify_lead"]
                + (["alert_manager"] if priority <= 2 else []),
            },
        )
        if created and accept:
            Ola.objects.create(policy=policy, tier=2, accept_minutes=accept)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
