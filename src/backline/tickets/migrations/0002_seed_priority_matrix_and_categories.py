from django.db import migrations

# The ITIL matrix of rules.DEFAULT_MATRIX, copied here so the migration does not change when the
# code does.
MATRIX = [
    (1, 1, 1),
    (1, 2, 2),
    (1, 3, 3),
    (2, 1, 2),
    (2, 2, 3),
    (2, 3, 4),
    (3, 1, 3),
    (3, 2, 4),
    (3, 3, 4),
]

CATEGORIES = [
    ("access", "Access and accounts"),
    ("application", "Application"),
    ("database", "Database"),
    ("collaboration", "Email and collaboration"),
    ("hardware", "Hardware"),
    ("integration", "Integration"),
    ("network", "Network"),
    ("security", "Security"),
    ("other", "Other"),
]


def seed(apps, schema_editor):
    Entry = apps.get_model("tickets", "PriorityMatrixEntry")
    Category = apps.get_model("tickets", "Category")
    for impact, urgency, priority in MATRIX:
        Entry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    for slug, name in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
