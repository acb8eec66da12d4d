"""The CI types a desk starts with (editable afterwards), and existing items moved onto them."""

from django.db import migrations
from django.utils.text import slugify

T, INT, N, U, C = "text", "integer", "number", "url", "choice"


def _a(name, type_, required=False, choices=None):
    spec = {"name": name, "type": type_, "required": required}
    if choices:
        spec["choices"] = choices
    return spec


TYPES = [
    ("application", "Application", [_a("version", T), _a("url", U), _a("vendor", T)], False),
    (
        "server",
        "Server",
        [_a("hostname", T), _a("os", T), _a("ip", T), _a("cpus", INT), _a("memory_gb", N)],
        False,
    ),
    (
        "database",
        "Database",
        [
            _a("engine", C, choices=["postgresql", "mssql", "oracle", "mysql", "other"]),
            _a("version", T),
            _a("host", T),
        ],
        False,
    ),
    ("configuration", "Configuration", [_a("file", T), _a("managed_by", T)], False),
    ("network", "Network", [_a("site", T)], False),
    (
        "network-link",
        "Network link",
        [_a("provider", T), _a("bandwidth_mbps", INT), _a("sites", T)],
        False,
    ),
    ("router", "Router", [_a("model", T), _a("site", T), _a("firmware", T)], False),
    ("switch", "Switch", [_a("model", T), _a("site", T)], False),
    ("firewall", "Firewall", [_a("model", T), _a("site", T), _a("firmware", T)], False),
    ("appliance", "Appliance", [_a("model", T), _a("site", T)], False),
    ("hardware", "Hardware", [_a("model", T), _a("serial", T)], False),
    ("integration", "Integration / API", [_a("endpoint", U), _a("protocol", T)], False),
    (
        "credential",
        "Credential (token, API key)",
        [_a("system", T), _a("rotation_days", INT)],
        True,
    ),
    ("certificate", "Certificate", [_a("subject", T), _a("issuer", T)], True),
    ("cloud-tenant", "Cloud tenant", [_a("provider", T), _a("tenant_id", T)], False),
    (
        "cloud-resource",
        "Cloud resource",
        [_a("provider", T), _a("region", T), _a("resource_id", T)],
        False,
    ),
    ("platform", "Platform", [_a("version", T)], False),
    ("batch-job", "Batch job", [_a("schedule", T), _a("host", T)], False),
    ("software-image", "Software image", [_a("version", T)], False),
]


def seed(apps, schema_editor):
    CiType = apps.get_model("cmdb", "CiType")
    Item = apps.get_model("cmdb", "ConfigurationItem")
    for slug, name, attributes, expiry in TYPES:
        CiType.objects.get_or_create(
            slug=slug, defaults={"name": name, "attributes": attributes, "has_expiry": expiry}
        )
    known = set(CiType.objects.values_list("slug", flat=True))
    for item in Item.objects.all():
        slug = slugify(item.ci_type) or "application"
        if slug not in known:
            CiType.objects.create(slug=slug, name=item.ci_type.capitalize()[:60])
            known.add(slug)
        if slug != item.ci_type:
            item.ci_type = slug
            item.save(update_fields=["ci_type"])


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0002_types_dependencies_and_attributes")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
