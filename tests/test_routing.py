"""Routing rules: pure matching, services (permissions, validation, positions), API, pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from backline.cmdb.models import Service
from backline.core.errors import DomainError, NotFound, PermissionDenied
from backline.tickets import routing
from backline.tickets.models import Category, RoutingRule
from backline.tickets.routing import (
    CATCH_ALL_REASON,
    RuleSpec,
    Sample,
    check_priorities,
    explain,
    first_match,
    keyword_in,
    normalise_keywords,
    unreachable_after_catch_all,
)
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory, make_ticket

HX = {"HTTP_HX_REQUEST": "true"}

# --- pure matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "text", "hit"),
    [
        ("vpn", "VPN drops every hour", True),
        ("vpn", "the vpnx client", False),
        ("vpn", "openvpn broke", False),
        ("vpn", "Cannot reach (VPN).", True),
        ("timeout", "Timeouts everywhere", False),
        ("connection reset", "Connection\n  reset by peer", True),
        ("connection reset", "reset connection", False),
        ("c++", "Build fails in C++ module", True),
        ("", "anything", False),
    ],
)
def test_keywords_match_whole_words_or_phrases_ignoring_case(keyword, text, hit):
    assert keyword_in(keyword, text) is hit


def test_a_match_explains_every_condition():
    rule = RuleSpec(
        id=1,
        name="Database timeouts",
        team_id=7,
        category_id=3,
        category_name="Database",
        keywords=("deadlock", "timeout"),
        priorities=(1, 2),
    )
    sample = Sample(title="Query TIMEOUT on orders", category_id=3, priority=2)
    assert explain(rule, sample) == [
        "category is Database",
        "keyword 'timeout' in title",
        "priority P2 in [1, 2]",
    ]


def test_keyword_in_the_description_and_service_are_named():
    rule = RuleSpec(
        id=1, name="CRM", team_id=1, service_id=9, service_name="CRM", keywords=("sso",)
    )
    sample = Sample(title="Cannot log in", description="SSO redirect loops", service_id=9)
    assert explain(rule, sample) == ["service is CRM", "keyword 'sso' in description"]


@pytest.mark.parametrize(
    "sample",
    [
        Sample(title="timeout", category_id=4, priority=2),  # wrong category
        Sample(title="slow", category_id=3, priority=2),  # no keyword
        Sample(title="timeout", category_id=3, priority=3),  # priority not listed
        Sample(title="timeout", category_id=None, priority=2),  # no category at all
        Sample(title="timeout", category_id=3, priority=None),  # no priority at all
    ],
)
def test_every_set_condition_must_hold(sample):
    rule = RuleSpec(
        id=1, name="r", team_id=1, category_id=3, keywords=("timeout",), priorities=(1, 2)
    )
    assert explain(rule, sample) is None
    assert first_match([rule], sample) is None


def test_a_rule_on_a_parent_category_matches_its_children():
    rule = RuleSpec(id=1, name="r", team_id=1, category_id=3, category_name="Database")
    child = Sample(category_id=8, category_parent_ids=(3,))
    assert explain(rule, child) == ["category is under Database"]
    assert explain(rule, Sample(category_id=8, category_parent_ids=(5,))) is None


def test_the_first_matching_rule_wins():
    broad = RuleSpec(id=1, name="broad", team_id=1, priorities=(1,))
    narrow = RuleSpec(id=2, name="narrow", team_id=2, keywords=("vpn",))
    other = RuleSpec(id=3, name="other", team_id=3, keywords=("printer",))
    sample = Sample(title="VPN down", priority=1)
    assert first_match([other, narrow, broad], sample).rule == narrow
    assert first_match([broad, narrow], sample).rule == broad
    assert first_match([other], sample) is None


def test_rules_after_a_catch_all_are_unreachable():
    rules = [
        RuleSpec(id=1, name="a", team_id=1, keywords=("vpn",)),
        RuleSpec(id=2, name="everything", team_id=1),
        RuleSpec(id=3, name="b", team_id=1, keywords=("crm",)),
        RuleSpec(id=4, name="c", team_id=1),
    ]
    assert unreachable_after_catch_all(rules) == [3, 4]
    assert unreachable_after_catch_all(rules[:2]) == []
    assert first_match(rules, Sample(title="CRM slow")).reasons == [CATCH_ALL_REASON]


def test_keywords_are_normalised():
    assert normalise_keywords(" VPN, vpn ,, Time   Out ,") == ["vpn", "time out"]
    assert normalise_keywords(["Deadlock", " ", "a, B", "deadlock"]) == ["deadlock", "a", "b"]
    assert normalise_keywords(None) == []
    with pytest.raises(DomainError) as exc:
        normalise_keywords([1])
    assert exc.value.field == "keywords"


@pytest.mark.parametrize("bad", [[0], [5], ["1"], [True], [1.0]])
def test_priorities_must_be_whole_numbers_1_to_4(bad):
    with pytest.raises(DomainError) as exc:
        check_priorities(bad)
    assert exc.value.field == "priorities"


def test_priorities_are_deduplicated_and_sorted():
    assert check_priorities([3, 1, 3]) == [1, 3]
    assert check_priorities(None) == []


SAMPLES = st.builds(
    Sample,
    title=st.text(max_size=80),
    description=st.text(max_size=200),
    category_id=st.none() | st.integers(1, 10**6),
    service_id=st.none() | st.integers(1, 10**6),
    priority=st.none() | st.integers(-3, 9),
    category_parent_ids=st.lists(st.integers(1, 100), max_size=3).map(tuple),
)


@given(SAMPLES, st.sampled_from(list(RoutingRule.Mode.values)))
def test_a_rule_with_no_conditions_matches_any_sample(sample, mode):
    catch_all = RuleSpec(id=1, name="Everything else", team_id=5, mode=mode)
    match = first_match([catch_all], sample)
    assert match is not None and match.rule == catch_all
    assert match.reasons == [CATCH_ALL_REASON]


WORDS = ["vpn", "timeout", "database", "printer", "crm", "deadlock", "disk full", "sso"]


@given(st.data())
def test_order_decides_among_matching_rules(data):
    words = data.draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
    sample = Sample(
        title=" ".join(words).upper() + ".",
        description=data.draw(st.text(max_size=40)),
        category_id=data.draw(st.integers(1, 3)),
        service_id=data.draw(st.integers(1, 3)),
        priority=data.draw(st.integers(1, 4)),
    )
    rules = []
    for i in range(data.draw(st.integers(2, 6))):
        use = data.draw(st.sets(st.sampled_from(["category", "service", "keywords", "priority"])))
        rules.append(
            RuleSpec(
                id=i + 1,
                name=f"rule {i}",
                team_id=100 + i,
                category_id=sample.category_id if "category" in use else None,
                service_id=sample.service_id if "service" in use else None,
                keywords=(
                    ("zzz-none", data.draw(st.sampled_from(words))) if "keywords" in use else ()
                ),
                priorities=(
                    tuple(sorted({sample.priority, data.draw(st.integers(1, 4))}))
                    if "priority" in use
                    else ()
                ),
            )
        )
    order = data.draw(st.permutations(rules))
    assert all(explain(rule, sample) is not None for rule in rules)
    assert first_match(order, sample).rule == order[0]
    # A rule that does not match changes nothing, wherever it sits.
    miss = RuleSpec(id=99, name="miss", team_id=1, category_id=sample.category_id + 10)
    position = data.draw(st.integers(0, len(order)))
    assert first_match([*order[:position], miss, *order[position:]], sample).rule == order[0]


@given(
    word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
    before=st.sampled_from(["", "Error: ", "the "]),
    after=st.sampled_from(["", " fails", ".", "!"]),
)
def test_keyword_case_and_word_boundaries(word, before, after):
    assert keyword_in(word, f"{before}{word.upper()}{after}")
    assert not keyword_in(word, f"{before}{word}x{after}")
    assert not keyword_in(word, f"{before}x{word}{after}")


# --- services ---------------------------------------------------------------------------------


@pytest.fixture
def database_team(db):
    return TeamFactory(name="Database", tier=2)


@pytest.fixture
def dba_l3(db):
    return TeamFactory(name="DBA Engineering", tier=3)


@pytest.fixture
def database(db):
    category, _ = Category.objects.get_or_create(slug="database", defaults={"name": "Database"})
    return category


@pytest.fixture
def crm(db):
    return Service.objects.create(name="CRM")


def _rule(actor, team, name="rule", **fields):
    return routing.routing_rule_create(actor=actor, name=name, team=team, **fields)


def _order():
    return list(RoutingRule.objects.order_by("position").values_list("name", "position"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "requester", "manager"])
def test_only_admins_change_rules(admin, database_team, role):
    outsider = UserFactory(role=role)
    with pytest.raises(PermissionDenied):
        _rule(outsider, database_team)
    assert not RoutingRule.objects.exists()
    rule = _rule(UserFactory(role="admin"), database_team)
    for attempt in (
        lambda: routing.routing_rule_update(actor=outsider, rule=rule, changes={"name": "x"}),
        lambda: routing.routing_rule_move(actor=outsider, rule=rule, direction="up"),
        lambda: routing.routing_rule_delete(actor=outsider, rule=rule),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert RoutingRule.objects.get().name == "rule"


@pytest.mark.django_db
def test_create_normalises_and_stores(admin, database_team, database, crm):
    rule = _rule(
        admin,
        database_team,
        name="  Database timeouts ",
        category=database,
        service=crm,
        keywords=" Timeout, DEADLOCK, timeout,, ",
        priorities=[2, 1, 2],
        mode="set",
    )
    rule.refresh_from_db()
    assert rule.name == "Database timeouts"
    assert rule.keywords == "timeout, deadlock"
    assert rule.priorities == [1, 2]
    assert (rule.category, rule.service, rule.team, rule.mode) == (
        database,
        crm,
        database_team,
        "set",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"team": None}, "team"),
        ({"priorities": [1, 5]}, "priorities"),
        ({"mode": "force"}, "mode"),
        ({"keywords": ", ".join(f"keyword{i}" for i in range(60))}, "keywords"),
        ({"name": "x" * 121}, "name"),
        ({"position": -1}, "position"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(admin, database_team, fields, field):
    values = {"name": "ok", "team": database_team, **fields}
    with pytest.raises(DomainError) as exc:
        routing.routing_rule_create(actor=admin, **values)
    assert exc.value.field == field
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_positions_stay_dense_through_create_move_and_delete(admin, database_team):
    for name in "abcd":
        _rule(admin, database_team, name=name)
    assert _order() == [("a", 0), ("b", 1), ("c", 2), ("d", 3)]
    _rule(admin, database_team, name="top", position=0)
    _rule(admin, database_team, name="far", position=99)
    assert _order() == [("top", 0), ("a", 1), ("b", 2), ("c", 3), ("d", 4), ("far", 5)]

    c = RoutingRule.objects.get(name="c")
    assert routing.routing_rule_move(actor=admin, rule=c, direction="up").position == 2
    assert routing.routing_rule_move(actor=admin, rule=c, position=0).position == 0
    routing.routing_rule_move(actor=admin, rule=c, direction="up")  # no-op at the top
    assert [n for n, _ in _order()] == ["c", "top", "a", "b", "d", "far"]
    far = RoutingRule.objects.get(name="far")
    routing.routing_rule_move(actor=admin, rule=far, direction="down")  # no-op at the end

    routing.routing_rule_delete(actor=admin, rule=RoutingRule.objects.get(name="a"))
    assert _order() == [("c", 0), ("top", 1), ("b", 2), ("d", 3), ("far", 4)]


@pytest.mark.django_db
def test_move_refuses_bad_requests(admin, database_team):
    rule = _rule(admin, database_team, name="a")
    _rule(admin, database_team, name="b")
    for kwargs, field in [
        ({}, "direction"),
        ({"direction": "sideways"}, "direction"),
        ({"direction": "up", "position": 0}, "direction"),
        ({"position": 2}, "position"),
    ]:
        with pytest.raises(DomainError) as exc:
            routing.routing_rule_move(actor=admin, rule=rule, **kwargs)
        assert exc.value.field == field
    assert _order() == [("a", 0), ("b", 1)]


@pytest.mark.django_db
def test_positions_are_repaired_when_rows_were_stored_out_of_order(admin, database_team):
    # Rows added outside the services (admin, fixtures) all default to position 0.
    for name in "xyz":
        RoutingRule.objects.create(name=name, team=database_team)
    routing.routing_rule_move(actor=admin, rule=RoutingRule.objects.get(name="z"), direction="up")
    assert _order() == [("x", 0), ("z", 1), ("y", 2)]


@pytest.mark.django_db
def test_update_changes_any_field_and_can_move(admin, database_team, dba_l3, database, crm):
    a = _rule(admin, database_team, name="a", category=database, keywords="vpn")
    _rule(admin, database_team, name="b")
    updated = routing.routing_rule_update(
        actor=admin,
        rule=a,
        changes={
            "name": "A",
            "team": dba_l3,
            "category": None,
            "service": crm,
            "keywords": ["Disk Full"],
            "priorities": [4],
            "mode": "set",
            "is_active": False,
            "position": 1,
        },
    )
    assert (updated.name, updated.team, updated.category, updated.service) == (
        "A",
        dba_l3,
        None,
        crm,
    )
    assert (updated.keywords, updated.priorities, updated.mode) == ("disk full", [4], "set")
    assert not updated.is_active
    assert _order() == [("b", 0), ("A", 1)]


@pytest.mark.django_db
def test_a_refused_update_saves_nothing(admin, database_team):
    rule = _rule(admin, database_team, name="keep", keywords="vpn")
    _rule(admin, database_team, name="other")
    for changes, field in [
        ({"name": "changed", "priorities": [9]}, "priorities"),
        ({"name": "changed", "position": 5}, "position"),
        ({"name": "changed", "team": None}, "team"),
        ({"colour": "red"}, "colour"),
    ]:
        with pytest.raises(DomainError) as exc:
            routing.routing_rule_update(actor=admin, rule=rule, changes=changes)
        assert exc.value.field == field
    rule.refresh_from_db()
    assert (rule.name, rule.keywords, rule.team, rule.position) == ("keep", "vpn", database_team, 0)


@pytest.mark.django_db
def test_a_deleted_rule_cannot_be_changed(admin, database_team):
    rule = _rule(admin, database_team)
    routing.routing_rule_delete(actor=admin, rule=rule)
    with pytest.raises(NotFound):
        routing.routing_rule_update(actor=admin, rule=rule, changes={"name": "x"})
    with pytest.raises(NotFound):
        routing.routing_rule_get(rule.pk)


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_match_for_returns_the_rule_and_why(admin, database_team, database, crm):
    _rule(admin, database_team, name="CRM only", service=crm, keywords="export")
    rule = _rule(
        admin, database_team, name="Database timeouts", category=database, keywords="timeout"
    )
    matched, reasons = routing.match_for(
        title="Orders query timeout",
        description="",
        category=database,
        service=None,
        priority=2,
    )
    assert matched == rule
    assert reasons == ["category is Database", "keyword 'timeout' in title"]
    assert routing.match_for(title="Printer jam", category=database, priority=3) == (None, [])


@pytest.mark.django_db
def test_inactive_rules_are_skipped(admin, database_team, dba_l3):
    _rule(admin, dba_l3, name="off", keywords="vpn", is_active=False)
    on = _rule(admin, database_team, name="on", keywords="vpn")
    assert routing.match_for(title="VPN down", priority=3)[0] == on


@pytest.mark.django_db
def test_a_rule_on_a_parent_category_matches_a_subcategory(admin, database_team, database):
    child = Category.objects.create(name="Replication", slug="replication", parent=database)
    _rule(admin, database_team, category=database)
    rule, reasons = routing.match_for(title="Lag", category=child, priority=3)
    assert rule is not None and reasons == ["category is under Database"]


@pytest.mark.django_db
def test_suggest_team_respects_the_minimum_tier(admin, l1_agent, database_team, dba_l3):
    _rule(admin, database_team, name="L2 db", keywords="deadlock")
    _rule(admin, dba_l3, name="L3 db", keywords="deadlock", mode="set")
    ticket = make_ticket(l1_agent, title="Deadlock in billing job")
    assert routing.suggest_team(ticket) == database_team
    assert routing.suggest_team(ticket, min_tier=3) == dba_l3
    assert routing.suggest_team(make_ticket(l1_agent, title="Printer jam")) is None


@pytest.mark.django_db
def test_team_for_new_ticket_uses_only_set_rules(admin, database_team, dba_l3, crm):
    _rule(admin, database_team, name="suggest only", service=crm)
    _rule(admin, dba_l3, name="sets", service=crm, priorities=[1, 2], mode="set")
    assert routing.team_for_new_ticket(title="CRM down", service=crm, priority=1) == dba_l3
    assert routing.team_for_new_ticket(title="CRM slow", service=crm, priority=3) is None
    assert routing.team_for_new_ticket(title="x", priority=1) is None


@pytest.mark.django_db
def test_matching_reads_the_rules_in_one_query(
    admin, database_team, database, crm, django_assert_num_queries
):
    for i in range(8):
        _rule(admin, database_team, name=f"r{i}", category=database, service=crm, keywords=f"w{i}")
    with django_assert_num_queries(1):
        routing.match_for(title="w7", category=database, service=crm, priority=3)


# --- API --------------------------------------------------------------------------------------


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


URL = "/api/v1/routing-rules"


@pytest.fixture
def admin_api(admin):
    return api_client_for(admin)


@pytest.mark.django_db
def test_api_create_read_update_delete(admin_api, database_team, dba_l3, database):
    created = post(
        admin_api,
        URL,
        {
            "name": "Database timeouts",
            "team": database_team.pk,
            "category": database.pk,
            "keywords": ["Timeout", "timeout", " deadlock "],
            "priorities": [2, 1],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["keywords"] == ["timeout", "deadlock"] and body["priorities"] == [1, 2]
    assert body["team"]["name"] == "Database" and body["category"]["name"] == "Database"
    assert (body["position"], body["mode"], body["catch_all"]) == (0, "suggest", False)
    rule_url = f"{URL}/{body['id']}"

    everything = post(admin_api, URL, {"name": "Everything", "team": dba_l3.pk, "position": 0})
    assert everything.json()["catch_all"] is True
    assert [r["name"] for r in admin_api.get(URL).json()] == ["Everything", "Database timeouts"]

    changed = patch(admin_api, rule_url, {"category": None, "mode": "set", "position": 0})
    assert changed.status_code == 200, changed.content
    assert changed.json()["category"] is None and changed.json()["position"] == 0
    assert admin_api.get(rule_url).json()["mode"] == "set"

    assert admin_api.delete(rule_url).status_code == 204
    assert_error(admin_api.get(rule_url), 404)
    assert [r["position"] for r in admin_api.get(URL).json()] == [0]


@pytest.mark.django_db
def test_api_test_endpoint_names_the_rule_team_and_reasons(
    admin, admin_api, api, database_team, database
):
    rule = _rule(admin, database_team, name="Database timeouts", keywords="timeout")
    sample = {"title": "Checkout timeout", "category": database.pk, "priority": 2}
    for client in (admin_api, api):  # staff may test; only managers change
        body = post(client, f"{URL}/test", sample).json()
        assert body["matched"]["id"] == rule.pk
        assert body["team"]["name"] == "Database"
        assert body["reasons"] == ["keyword 'timeout' in title"]
    miss = post(api, f"{URL}/test", {"title": "Printer jam"}).json()
    assert miss == {"matched": None, "team": None, "reasons": []}


@pytest.mark.django_db
def test_api_agents_read_but_cannot_write(admin, api, database_team):
    rule = _rule(admin, database_team, name="a")
    assert api.get(URL).status_code == 200
    assert api.get(f"{URL}/{rule.pk}").json()["name"] == "a"
    assert_error(post(api, URL, {"name": "b", "team": database_team.pk}), 403)
    assert_error(patch(api, f"{URL}/{rule.pk}", {"name": "b"}), 403)
    assert_error(api.delete(f"{URL}/{rule.pk}"), 403)
    assert_error(api.delete(f"{URL}/424242"), 403)  # no probing for ids
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["a"]


@pytest.mark.django_db
def test_api_requesters_cannot_read_and_anonymous_is_401(requester, database_team):
    client = api_client_for(requester)
    assert_error(client.get(URL), 403)
    assert_error(post(client, f"{URL}/test", {"title": "x"}), 403)
    assert_error(Client().get(URL), 401, "Authorization")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, "body"),
        ('{"team": 1}', 422, "name"),
        ('{"name": "x"}', 422, "team"),
        ('{"name": "  ", "team": TEAM}', 422, "name"),
        ('{"name": "x", "team": 424242}', 422, "team"),
        ('{"name": "x", "team": TEAM, "category": 424242}', 422, "category"),
        ('{"name": "x", "team": TEAM, "priorities": [1, 7]}', 422, "priorities"),
        ('{"name": "x", "team": TEAM, "priorities": ["high"]}', 422, "priorities.0"),
        ('{"name": "x", "team": TEAM, "mode": "force"}', 422, "mode"),
        ('{"name": "x", "team": TEAM, "position": -1}', 422, "position"),
    ],
)
def test_api_bad_create_input_is_a_json_error(admin_api, database_team, body, status, field):
    body = body.replace("TEAM", str(database_team.pk))
    response = admin_api.post(URL, data=body, content_type="application/json")
    assert_error(response, status, field)
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_api_bad_patch_and_missing_rules(admin, admin_api, database_team):
    rule = _rule(admin, database_team, name="keep")
    url = f"{URL}/{rule.pk}"
    assert_error(patch(admin_api, url, {"team": None}), 422, "team")
    assert_error(patch(admin_api, url, {"name": None}), 422, "name")
    assert_error(patch(admin_api, url, {"position": 3}), 422, "position")
    assert_error(patch(admin_api, f"{URL}/424242", {"name": "x"}), 404)
    assert_error(admin_api.get(f"{URL}/424242"), 404)
    assert_error(post(admin_api, f"{URL}/test", {"priority": 9}), 422, "priority")
    assert_error(post(admin_api, f"{URL}/test", {"service": 424242}), 422, "service")
    assert RoutingRule.objects.get().name == "keep"


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def boss(admin):
    client = Client()
    client.force_login(admin)
    return client


PAGE = "/settings/routing/"


@pytest.mark.django_db
def test_manager_sees_the_rules_in_order_with_conditions(boss, admin, database_team, database):
    _rule(admin, database_team, name="Database timeouts", category=database, keywords="timeout")
    _rule(admin, database_team, name="P1 anything", priorities=[1])
    content = boss.get(PAGE).content.decode()
    assert content.index("Database timeouts") < content.index("P1 anything")
    assert "Category: Database" in content and "“timeout”" in content and "Priority: P1" in content
    assert "Test a rule set" in content and "L2</span> Database" in content


@pytest.mark.django_db
def test_a_catch_all_above_other_rules_is_flagged(boss, admin, database_team):
    _rule(admin, database_team, name="Everything else")
    _rule(admin, database_team, name="VPN", keywords="vpn")
    content = boss.get(PAGE).content.decode()
    assert "Catch-all: every ticket" in content
    assert "1 rule never runs." in content and "never runs: below a catch-all" in content


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["l2_agent", "manager", "requester"])
def test_other_roles_get_403(request, admin, database_team, who):
    rule = _rule(admin, database_team)
    client = Client()
    client.force_login(request.getfixturevalue(who))
    for method, url in [
        ("get", PAGE),
        ("get", f"{PAGE}new/"),
        ("get", f"{PAGE}{rule.pk}/edit/"),
        ("post", f"{PAGE}{rule.pk}/move/"),
        ("post", f"{PAGE}{rule.pk}/delete/"),
        ("post", f"{PAGE}test/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert b"Only admins" in response.content
    assert RoutingRule.objects.filter(pk=rule.pk).exists()


def test_pages_need_sign_in(db):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_new_rule_form_shows_errors_next_to_fields(boss):
    response = boss.post(f"{PAGE}new/", {"name": "", "mode": "suggest", "priorities": ["9"]})
    assert response.status_code == 422
    content = response.content.decode()
    assert 'id="id_name-error">This field is required.' in content
    assert 'id="id_team-error">This field is required.' in content
    assert 'id="id_priorities-error">Select a valid choice' in content
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_new_rule_form_creates_a_rule(boss, database_team, database):
    response = boss.post(
        f"{PAGE}new/",
        {
            "name": "Database timeouts",
            "team": database_team.pk,
            "mode": "set",
            "is_active": "on",
            "category": database.pk,
            "keywords": "Timeout, deadlock",
            "priorities": ["1", "2"],
        },
    )
    assert response.status_code == 302 and response["Location"] == PAGE
    rule = RoutingRule.objects.get()
    assert (rule.keywords, rule.priorities, rule.mode, rule.category) == (
        "timeout, deadlock",
        [1, 2],
        "set",
        database,
    )
    assert "added at position 1" in boss.get(PAGE).content.decode()


@pytest.mark.django_db
def test_edit_page_shows_the_rule_and_saves(boss, admin, database_team, dba_l3):
    rule = _rule(admin, database_team, name="Old", keywords="vpn", priorities=[2])
    page = boss.get(f"{PAGE}{rule.pk}/edit/").content.decode()
    assert 'value="Old"' in page and 'value="vpn"' in page
    assert 'value="2" id="id_priorities_1" checked' in page
    response = boss.post(
        f"{PAGE}{rule.pk}/edit/",
        {"name": "New", "team": dba_l3.pk, "mode": "suggest", "keywords": ""},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.team, rule.keywords, rule.priorities, rule.is_active) == (
        "New",
        dba_l3,
        "",
        [],
        False,
    )
    assert boss.get(f"{PAGE}424242/edit/").status_code == 404


@pytest.mark.django_db
def test_move_and_delete_with_htmx_return_the_rules_fragment(boss, admin, database_team):
    a = _rule(admin, database_team, name="alpha")
    b = _rule(admin, database_team, name="beta")
    response = boss.post(f"{PAGE}{b.pk}/move/", {"direction": "up"}, **HX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="rules">') and "<html" not in content
    assert "“beta” is now rule 1." in content
    assert content.index("beta") < content.index("alpha")
    response = boss.post(f"{PAGE}{a.pk}/move/", {"direction": "sideways"}, **HX)
    assert response.status_code == 422 and b"Direction must be up or down" in response.content
    response = boss.post(f"{PAGE}{b.pk}/delete/", **HX)
    assert b"Rule \xe2\x80\x9cbeta\xe2\x80\x9d deleted." in response.content
    assert _order() == [("alpha", 0)]


@pytest.mark.django_db
def test_move_and_delete_without_htmx_redirect_back(boss, admin, database_team):
    a = _rule(admin, database_team, name="alpha")
    _rule(admin, database_team, name="beta")
    response = boss.post(f"{PAGE}{a.pk}/move/", {"direction": "down"})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert _order() == [("beta", 0), ("alpha", 1)]
    assert boss.post(f"{PAGE}{a.pk}/delete/").status_code == 302
    assert _order() == [("beta", 0)]
    assert boss.get(f"{PAGE}{a.pk}/move/").status_code == 405


@pytest.mark.django_db
def test_the_tester_with_htmx_returns_only_its_fragment(boss, admin, database_team, database):
    _rule(admin, database_team, name="Database timeouts", category=database, keywords="timeout")
    sample = {"title": "Checkout timeout", "category": database.pk, "priority": "2"}
    response = boss.post(f"{PAGE}test/", sample, **HX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section class="card tester" id="tester"')
    assert "<html" not in content and 'id="rules"' not in content
    assert "Matched rule 1: “Database timeouts”" in content
    assert "<li>category is Database</li>" in content
    assert "<li>keyword &#x27;timeout&#x27; in title</li>" in content
    assert 'value="Checkout timeout"' in content  # the sample stays in the form

    miss = boss.post(f"{PAGE}test/", {"title": "Printer jam", "priority": "3"}, **HX)
    assert b"No rule matched." in miss.content


@pytest.mark.django_db
def test_the_tester_without_js_renders_the_whole_page(boss, admin, database_team):
    _rule(admin, database_team, name="VPN", keywords="vpn")
    response = boss.post(f"{PAGE}test/", {"title": "VPN drops", "priority": "3"})
    content = response.content.decode()
    assert response.status_code == 200 and "<html" in content
    assert 'id="rules"' in content and "Matched rule 1: “VPN”" in content


@pytest.mark.django_db
def test_the_tester_shows_form_errors(boss):
    response = boss.post(f"{PAGE}test/", {"title": "x", "priority": "9"}, **HX)
    assert response.status_code == 422
    assert b'id="sample_priority-error">Select a valid choice' in response.content
    assert b"test-result" not in response.content


@pytest.mark.django_db
def test_rules_page_query_count_does_not_grow_with_rules(
    boss, admin, database_team, database, crm, django_assert_max_num_queries
):
    def add(count):
        for i in range(count):
            _rule(admin, database_team, name=f"r{i}", category=database, service=crm)

    add(2)
    with django_assert_max_num_queries(15) as few:
        boss.get(PAGE)
    add(20)
    with django_assert_max_num_queries(15) as many:
        boss.get(PAGE)
    assert len(many.captured_queries) == len(few.captured_queries)
