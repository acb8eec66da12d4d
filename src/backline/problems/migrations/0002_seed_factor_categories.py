"""The contributing-factor categories a desk starts with (editable afterwards)."""

from django.db import migrations

CATEGORIES = [
    ("people", "People"),
    ("process", "Process"),
    ("technology", "Technology"),
    ("vendor", "Vendor"),
    ("environment", "Environment"),
]


def seed(apps, schema_editor):
    FactorCategory = apps.get_model("problems", "FactorCategory")
    for position, (slug, name) in enumerate(CATEGORIES):
        FactorCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_problems_rca_actions_known_errors")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
