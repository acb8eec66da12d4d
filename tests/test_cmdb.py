"""The CMDB: attribute rules, writes and their permissions, graph walks and impact, the CSV
import (bad rows reported, nothing changed; clean file imports all), the API and the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backline.cmdb import graph, importer, queries, rules, services
from backline.cmdb.models import CiType, CmdbEvent, ConfigurationItem, Dependency, Service
from backline.core.errors import Conflict, DomainError, PermissionDenied
from tests.conftest import api_client_for
from tests.factories import make_ticket

SCHEMA = [
    {"name": "hostname", "type": "text", "required": True},
    {"name": "cpus", "type": "integer"},
    {"name": "memory_gb", "type": "number"},
    {"name": "managed", "type": "boolean"},
    {"name": "installed", "type": "date"},
    {"name": "console", "type": "url"},
    {"name": "tier", "type": "choice", "choices": ["gold", "silver"]},
]


# --- rules -----------------------------------------------------------------------------------


def test_attributes_are_typed_and_checked_against_the_schema():
    out = rules.validate_attributes(
        SCHEMA,
        {"hostname": "db01", "cpus": "8", "memory_gb": "15.5", "managed": "yes",
         "installed": "2024-02-01", "console": "https://db01.example.com", "tier": "gold"},
    )  # fmt: skip
    assert out == {
        "hostname": "db01", "cpus": 8, "memory_gb": 15.5, "managed": True,
        "installed": "2024-02-01", "console": "https://db01.example.com", "tier": "gold",
    }  # fmt: skip


def test_every_bad_attribute_is_reported_naming_it():
    with pytest.raises(DomainError) as exc:
        rules.validate_attributes(
            SCHEMA,
            {"cpus": "eight", "managed": "perhaps", "installed": "1/2/24", "console": "ftp://x",
             "tier": "bronze", "colour": "red"},
        )  # fmt: skip
    fields = {e["field"] for e in exc.value.errors}
    assert fields == {
        "attributes.colour", "attributes.hostname", "attributes.cpus", "attributes.managed",
        "attributes.installed", "attributes.console", "attributes.tier",
    }  # fmt: skip


def test_schema_check_refuses_bad_names_types_and_choice_without_choices():
    with pytest.raises(DomainError) as exc:
        rules.check_schema(
            [{"name": "Bad Name"}, {"name": "x", "type": "colour"}, {"name": "c", "type": "choice"}]
        )
    assert [e["field"] for e in exc.value.errors] == [
        "attributes.0.name",
        "attributes.1.type",
        "attributes.2.choices",
    ]


# --- graph -----------------------------------------------------------------------------------


def test_walks_are_safe_on_cycles_and_give_shortest_distances():
    a, b, c, s = ("ci", 1), ("ci", 2), ("ci", 3), ("service", 9)
    edges = [(a, b), (b, c), (c, a), (s, a)]  # a→b→c→a, and the service relies on a
    assert graph.downstream([c], edges) == {c: 0, b: 1, a: 2, s: 3}
    assert graph.upstream([s], edges) == {s: 0, a: 1, b: 2, c: 3}


# --- services and queries --------------------------------------------------------------------


@pytest.fixture
def stack(admin, app_support):
    """CRM runs on app01, which runs on vm01; db01 connects app01; the portal depends on CRM."""
    crm = services.service_create(name="CRM", owner_team=app_support, actor=admin)
    portal_svc = services.service_create(name="Customer portal", actor=admin)
    vm = services.item_create(
        name="vm01", ci_type="server", owner_team=app_support, actor=admin,
        attributes={"hostname": "vm01", "cpus": "4"},
    )  # fmt: skip
    app = services.item_create(name="app01", ci_type="application", service=crm, actor=admin)
    db = services.item_create(name="db01", ci_type="database", actor=admin)
    portal = services.item_create(
        name="portal-web", ci_type="application", service=portal_svc, actor=admin
    )
    services.dependency_add(actor=admin, source=app, kind="runs_on", target_ci=vm)
    services.dependency_add(actor=admin, source=app, kind="connects_to", target_ci=db)
    services.dependency_add(actor=admin, source=portal, kind="depends_on", target_service=crm)
    return {"crm": crm, "portal_svc": portal_svc, "vm": vm, "app": app, "db": db, "portal": portal}


def test_impact_lists_downstream_services_and_cis(stack):
    impact = queries.ci_impact(stack["vm"])
    assert [(s.name, d) for s, d in impact["services"]] == [("CRM", 2), ("Customer portal", 4)]
    assert [(c.name, d) for c, d in impact["cis"]] == [("app01", 1), ("portal-web", 3)]


def test_upstream_for_changes_app(stack):
    s = stack
    assert queries.ci_upstream([s["portal"].pk]) == {
        s["portal"].pk: 0, s["app"].pk: 2, s["vm"].pk: 3, s["db"].pk: 3,
    }  # fmt: skip
    by_ci = queries.ticket_context_cis(None, s["app"].pk)
    assert by_ci == {("ci", s["app"].pk): 0, ("ci", s["vm"].pk): 1, ("ci", s["db"].pk): 1}
    by_service = queries.ticket_context_cis(s["crm"].pk, None)
    assert by_service == {("ci", s["app"].pk): 1, ("ci", s["vm"].pk): 2, ("ci", s["db"].pk): 2}
    assert queries.ticket_context_cis(None, None) == {}


def test_dependency_add_refuses_self_edges_and_duplicates(stack, admin):
    with pytest.raises(DomainError, match="itself"):
        services.dependency_add(
            actor=admin, source=stack["app"], kind="depends_on", target_ci=stack["app"]
        )
    with pytest.raises(DomainError, match="already"):
        services.dependency_add(
            actor=admin, source=stack["app"], kind="runs_on", target_ci=stack["vm"]
        )
    # A cycle is allowed in the data; walks stay finite.
    services.dependency_add(
        actor=admin, source=stack["vm"], kind="depends_on", target_ci=stack["app"]
    )
    assert {c.name for c, _ in queries.ci_impact(stack["vm"])["cis"]} == {"app01", "portal-web"}


def test_item_create_checks_type_and_attributes(admin):
    with pytest.raises(DomainError) as exc:
        services.item_create(name="x", ci_type="spaceship", actor=admin)
    assert exc.value.field == "ci_type"
    with pytest.raises(DomainError) as exc:
        services.item_create(name="x", ci_type="server", actor=admin, attributes={"cpus": "many"})
    assert exc.value.field == "attributes.cpus"


def test_writes_need_a_manager_or_the_owner_team(stack, l1_agent, l2_agent, requester):
    vm = stack["vm"]  # owned by Application Support, l2_agent's team
    services.item_update(actor=l2_agent, item=vm, version=vm.version, description="Primary VM")
    with pytest.raises(PermissionDenied):
        services.item_update(actor=l1_agent, item=vm, version=None, description="mine now")
    with pytest.raises(PermissionDenied):
        services.require_read(requester)
    with pytest.raises(PermissionDenied):
        services.ci_type_create(actor=l2_agent, slug="robot", name="Robot")


def test_stale_edit_is_a_conflict_naming_who_changed_it(stack, l2_agent, admin):
    vm = stack["vm"]
    services.item_update(actor=admin, item=vm, version=1, description="changed")
    with pytest.raises(Conflict, match="Ada Admin"):
        services.item_update(actor=l2_agent, item=vm, version=1, description="mine")
    vm.refresh_from_db()
    assert (vm.version, vm.description) == (2, "changed")
    kinds = list(CmdbEvent.objects.filter(ci=vm).values_list("kind", flat=True))
    assert kinds[0] == "updated"


def test_retire_and_ci_type_update(stack, admin):
    retired = services.item_retire(actor=admin, item=stack["db"])
    assert retired.status == "retired"
    server = CiType.objects.get(slug="server")
    updated = services.ci_type_update(
        actor=admin, ci_type=server, attributes=[{"name": "hostname", "required": True}]
    )
    assert updated.attributes == [{"name": "hostname", "type": "text", "required": True}]


def test_open_incidents_counted_per_ci_and_service(stack, l1_agent):
    make_ticket(l1_agent, service=stack["crm"], ci=stack["app"])
    make_ticket(l1_agent, service=stack["crm"])
    assert queries.open_incidents_per_ci([stack["app"].pk, stack["vm"].pk]) == {stack["app"].pk: 1}
    assert queries.open_incidents_per_service([stack["crm"].pk]) == {stack["crm"].pk: 2}


# --- import ----------------------------------------------------------------------------------


def _snapshot():
    return (
        list(Service.objects.values_list("name", "description").order_by("name")),
        list(ConfigurationItem.objects.values_list("name", "attributes").order_by("name")),
        Dependency.objects.count(),
    )


BAD_CIS = (
    "name,type,service,environment,criticality,attr.hostname,attr.cpus\n"
    "web01,server,CRM,production,high,web01,4\n"
    "web02,server,Nowhere,production,high,web02,four\n"
    ',,CRM,prod,urgent,"x",\n'
    "web01,server,,,,web01,2\n"
    "web03,spaceship,,,,,\n"
)


def test_dry_run_reports_every_bad_row_and_changes_nothing(stack, admin):
    before = _snapshot()
    for dry_run in (True, False):
        result = importer.import_csv(
            actor=admin, kind="cis", data=BAD_CIS.encode(), dry_run=dry_run
        )
        assert not result.ok
        got = {(e.line, e.column) for e in result.errors}
        assert got == {
            (3, "service"), (3, "attr.cpus"),
            (4, "name"), (4, "type"), (4, "environment"), (4, "criticality"),
            (5, "name"),
            (6, "type"),
        }  # fmt: skip
        assert _snapshot() == before


def test_clean_file_imports_all_and_reimport_updates(stack, admin):
    data = (
        "\ufeffName;Type;Service;Criticality;attr.hostname;attr.cpus\n"
        "web01;server;CRM;critical;web01;4\n"
        'web02;server;CRM;low;"web\n02";8\n'
    ).encode()
    check = importer.import_csv(actor=admin, kind="cis", data=data, dry_run=True)
    assert (check.ok, check.created, check.delimiter) == (True, 2, ";")
    assert not ConfigurationItem.objects.filter(name="web01").exists()
    done = importer.import_csv(actor=admin, kind="cis", data=data, dry_run=False)
    assert done.imported and done.created == 2
    web01 = ConfigurationItem.objects.get(name="web01")
    assert (web01.service, web01.criticality, web01.attributes) == (
        stack["crm"],
        1,
        {"hostname": "web01", "cpus": 4},
    )
    deps = "source,kind,target_ci,target_service\nweb01,runs on,vm01,\nweb02,depends_on,,CRM\n"
    done = importer.import_csv(actor=admin, kind="dependencies", data=deps.encode(), dry_run=False)
    assert (done.ok, done.created) == (True, 2)
    again = importer.import_csv(actor=admin, kind="dependencies", data=deps.encode(), dry_run=False)
    assert (again.created, again.unchanged) == (0, 2)
    assert "CRM" in {s.name for s, _ in queries.ci_impact(stack["vm"])["services"]}


def test_line_numbers_follow_multiline_cells_and_header_is_checked(admin):
    data = b'name,description,colour\n"a","two\nlines",x\n'
    result = importer.import_csv(actor=admin, kind="services", data=data)
    assert [(e.line, e.column) for e in result.errors] == [(1, "colour")]
    data = b'name,description,criticality\n"a","two\nlines",high\nb,,urgent\n'
    result = importer.import_csv(actor=admin, kind="services", data=data)
    assert [(e.line, e.column) for e in result.errors] == [(4, "criticality")]


def test_import_is_for_managers(l2_agent):
    with pytest.raises(PermissionDenied):
        importer.import_csv(actor=l2_agent, kind="services", data=b"name\nX\n")


def test_export_names_everything(stack):
    data = queries.export_data()
    assert {"services", "ci_types", "cis", "dependencies"} <= data.keys()
    assert {"source": "app01", "kind": "runs_on", "target_ci": "vm01", "target_service": None} in (
        data["dependencies"]
    )


# --- API -------------------------------------------------------------------------------------


def test_api_ci_create_idempotent_patch_and_conflict(admin, app_support):
    client = api_client_for(admin)
    body = {"name": "api01", "ci_type": "server", "owner_team": app_support.pk,
            "attributes": {"hostname": "api01"}}  # fmt: skip
    first = client.post("/api/v1/cmdb/cis", body, content_type="application/json",
                        headers={"Idempotency-Key": "k1"})  # fmt: skip
    again = client.post("/api/v1/cmdb/cis", body, content_type="application/json",
                        headers={"Idempotency-Key": "k1"})  # fmt: skip
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    pk = first.json()["id"]
    ok = client.patch(f"/api/v1/cmdb/cis/{pk}", {"version": 1, "criticality": 1},
                      content_type="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.patch(f"/api/v1/cmdb/cis/{pk}", {"version": 1, "description": "x"},
                         content_type="application/json")  # fmt: skip
    assert stale.status_code == 409 and stale.json()["field"] == "version"


def test_api_names_the_bad_field(admin):
    client = api_client_for(admin)
    bad = client.post("/api/v1/cmdb/cis", {"name": "x", "ci_type": "server",
                      "attributes": {"cpus": "lots"}}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "attributes.cpus"
    bad = client.post("/api/v1/cmdb/cis", {"name": "x", "ci_type": "server", "service": 999},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "service"


def test_api_lists_impact_dependencies_import_export(stack, admin, requester):
    client = api_client_for(admin)
    listed = client.get("/api/v1/cmdb/cis", {"type": "application", "service": stack["crm"].pk})
    assert [i["name"] for i in listed.json()["items"]] == ["app01"]
    impact = client.get(f"/api/v1/cmdb/cis/{stack['vm'].pk}/impact").json()
    assert [s["name"] for s in impact["services"]] == ["CRM", "Customer portal"]
    deps = client.get("/api/v1/cmdb/dependencies", {"ci": stack["app"].pk}).json()
    assert {d["target_ci"]["name"] for d in deps} == {"vm01", "db01"}
    added = client.post("/api/v1/cmdb/dependencies", {"source": stack["db"].pk,
                        "kind": "runs_on", "target_ci": stack["vm"].pk},
                        content_type="application/json")  # fmt: skip
    assert added.status_code == 201
    assert client.delete(f"/api/v1/cmdb/dependencies/{added.json()['id']}").status_code == 204
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("s.csv", b"name,criticality\nERP,high\nHR,sometimes\n")
    result = client.post("/api/v1/cmdb/import?kind=services&dry_run=false", {"file": upload})
    assert result.status_code == 200, result.json()
    assert result.json()["errors"] == [
        {"line": 3, "column": "criticality",
         "reason": "'sometimes' is not a criticality (critical, high, medium, low or 1–4)"}
    ]  # fmt: skip
    assert not Service.objects.filter(name="ERP").exists()
    assert client.get("/api/v1/cmdb/export").json()["services"][0]["name"] == "CRM"
    assert api_client_for(requester).get("/api/v1/cmdb/cis").status_code == 403


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def web_manager(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_ci_page_shows_downstream_services_and_picture(stack, web_manager, l1_agent):
    make_ticket(l1_agent, service=stack["crm"], ci=stack["vm"], title="VM slow")
    page = web_manager.get(f"/cmdb/cis/{stack['vm'].pk}").content.decode()
    assert 'data-testid="downstream-services"' in page
    assert "Customer portal" in page and "dep-picture" in page and "VM slow" in page


def test_dependency_add_with_and_without_htmx(stack, web_manager):
    url = f"/cmdb/cis/{stack['db'].pk}/dependencies"
    plain = web_manager.post(url, {"kind": "runs_on", "target": f"ci:{stack['vm'].pk}"})
    assert plain.status_code == 302
    partial = web_manager.post(
        url, {"kind": "depends_on", "target": f"service:{stack['crm'].pk}"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert partial.status_code == 200 and 'id="ci-graph"' in body and "<html" not in body
    assert stack["db"].dependencies.count() == 2


def test_list_filters_and_htmx_partial(stack, web_manager):
    page = web_manager.get("/cmdb/", {"type": "server"}).content.decode()
    assert "vm01" in page and "app01" not in page
    partial = web_manager.get("/cmdb/", {"q": "app"}, HTTP_HX_REQUEST="true").content.decode()
    assert "app01" in partial and "<html" not in partial


def test_ci_form_renders_type_attributes_and_saves(stack, web_manager):
    fields = web_manager.get("/cmdb/cis/new", {"ci_type": "database"}, HTTP_HX_REQUEST="true")
    assert 'name="attr_engine"' in fields.content.decode()
    bad = web_manager.post("/cmdb/cis/new", {"name": "db02", "ci_type": "database",
                           "environment": "production", "criticality": 3,
                           "attr_engine": "db2"})  # fmt: skip
    assert bad.status_code == 422
    ok = web_manager.post("/cmdb/cis/new", {"name": "db02", "ci_type": "database",
                          "environment": "production", "criticality": 3,
                          "attr_engine": "postgresql"})  # fmt: skip
    assert ok.status_code == 302
    assert ConfigurationItem.objects.get(name="db02").attributes == {"engine": "postgresql"}


def test_service_pages_types_import_and_export(stack, web_manager, web):
    assert "app01" in web_manager.get(f"/cmdb/services/{stack['crm'].pk}").content.decode()
    assert web_manager.get("/cmdb/services").status_code == 200
    assert web_manager.get("/cmdb/types").status_code == 200
    assert web.get("/cmdb/types").status_code == 403  # an L2 agent is not a admin
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("s.csv", b"name\nERP\n")
    resp = web_manager.post("/cmdb/import", {"kind": "services", "file": upload,
                            "action": "import"}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert "Imported 1 row" in resp.content.decode()
    assert Service.objects.filter(name="ERP").exists()
    export = web_manager.get("/cmdb/export.json")
    assert "ERP" in {s["name"] for s in json.loads(export.content)["services"]}
