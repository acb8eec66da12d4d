"""The CMDB in a real browser: the CI page lists the services downstream of a server and draws
its dependency picture; a CSV with bad rows reports each of them and imports nothing, and the
fixed file imports every row."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import expect

from backline.cmdb import services
from backline.cmdb.models import ConfigurationItem
from tests.browser.test_escalation_flow import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ci_types(transactional_db):
    """Transactional tests start from a flushed database: seed the CI types as migrate did."""
    importlib.import_module("backline.cmdb.migrations.0003_seed_ci_types").seed(apps, None)


@pytest.fixture
def stack(ci_types, manager, app_support):
    crm = services.service_create(name="CRM", owner_team=app_support, actor=manager)
    shop = services.service_create(name="eCommerce", actor=manager)
    vm = services.item_create(
        name="vm-crm-01", ci_type="server", owner_team=app_support, actor=manager,
        attributes={"hostname": "vm-crm-01", "cpus": 8},
    )  # fmt: skip
    app = services.item_create(name="crm-app", ci_type="application", service=crm, actor=manager)
    web = services.item_create(name="shop-web", ci_type="application", service=shop, actor=manager)
    services.dependency_add(actor=manager, source=app, kind="runs_on", target_ci=vm)
    services.dependency_add(actor=manager, source=web, kind="depends_on", target_service=crm)
    return vm


def test_ci_page_lists_downstream_services_and_draws_the_picture(browser, live_server, stack):
    page = session(browser, live_server, "maria")
    page.goto(f"/cmdb/cis/{stack.pk}")
    expect(page.locator("h1")).to_have_text("vm-crm-01")
    downstream = page.get_by_test_id("downstream-services")
    expect(downstream).to_contain_text("CRM")
    expect(downstream).to_contain_text("eCommerce")
    picture = page.get_by_test_id("dependency-picture")
    expect(picture.locator(".node-self")).to_have_text("vm-crm-01")
    expect(picture.locator(".dep-col.down").first).to_contain_text("crm-app")
    # Adding a dependency redraws the picture in place.
    page.get_by_label("Target").select_option(label="CRM")
    page.get_by_role("button", name="Add dependency").click()
    expect(page.get_by_test_id("depends-on")).to_contain_text("CRM")
    expect(page.get_by_test_id("attributes")).to_contain_text("vm-crm-01")


BAD = (
    "name,type,service,criticality,attr.hostname,attr.cpus\n"
    "erp-db,database,,high,,\n"
    "erp-app,application,ERP,high,,\n"
    "erp-vm,server,,urgent,erp-vm,eight\n"
    "erp-vm2,server,,low,,2.5\n"
)
FIXED = (
    "name,type,service,criticality,attr.hostname,attr.cpus\n"
    "erp-db,database,,high,,\n"
    "erp-app,application,CRM,high,,\n"
    "erp-vm,server,,critical,erp-vm,8\n"
    "erp-vm2,server,,low,erp-vm2,2\n"
)


def test_import_reports_every_bad_row_and_imports_only_a_clean_file(
    browser, live_server, stack, admin, tmp_path
):
    bad, fixed = tmp_path / "bad.csv", tmp_path / "fixed.csv"
    bad.write_text(BAD)
    fixed.write_text(FIXED)
    before = ConfigurationItem.objects.count()
    page = session(browser, live_server, "ada")  # the CMDB import is configuration: admins
    page.goto("/cmdb/import")
    page.get_by_label("Kind").select_option("cis")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check file").click()
    rows = page.get_by_test_id("row-errors").locator("tbody tr")
    expect(rows).to_have_count(4)
    texts = [" ".join(t.split()) for t in rows.all_inner_texts()]
    assert texts[0].startswith("3 service no service named 'ERP'")
    assert texts[1].startswith("4 criticality")
    assert texts[2].startswith("4 attr.cpus")
    assert texts[3].startswith("5 attr.cpus")
    # Importing the dirty file anyway changes nothing.
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("Nothing was imported")
    assert ConfigurationItem.objects.count() == before

    page.get_by_label("CSV file").set_input_files(str(fixed))
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("4 to create")
    assert ConfigurationItem.objects.count() == before
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("Imported 4 rows")
    assert ConfigurationItem.objects.count() == before + 4
    page.goto("/cmdb/?q=erp")
    expect(page.locator(".cmdb-table tbody tr")).to_have_count(4)
