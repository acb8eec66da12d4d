"""Diagnostics: attach a log, process it, rank what changed around the incident, compare logs,
read lines, search, remember templates across tickets, pin evidence — services, views and API."""

from __future__ import annotations

import gzip
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backline.core.errors import DomainError
from backline.diagnostics import anomalies, queries, services, store
from backline.diagnostics.choices import LogStatus
from backline.diagnostics.models import LogEvidence, LogFile, LogTemplate
from backline.escalation.queries import handoff_prefill
from backline.tickets.choices import EventKind
from backline.tickets.queries import pinned_evidence
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)
EXPIRY = datetime(2026, 11, 2, 6, 5, tzinfo=UTC)


def erp_log(*, expiry: datetime = EXPIRY, hours: int = 3, seed: int = 1) -> bytes:
    """An integration log: order pushes and stock lookups; from `expiry` on pushes fail 401."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    at, lines = START, []
    while at < START + timedelta(hours=hours):
        at += timedelta(seconds=rng.randint(2, 9), milliseconds=rng.randint(0, 999))
        stamp = at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"
        worker = f"sync-worker-{rng.randint(1, 4)}"
        order = rng.randint(10_000, 99_999)
        if rng.random() < 0.3:
            lines.append(
                f"{stamp} INFO  [{worker}] c.b.erp.StockClient - Stock for SKU-{order} is "
                f"{rng.randint(0, 90)} units"
            )
        elif at >= expiry:
            lines.append(
                f"{stamp} ERROR [{worker}] c.b.erp.ErpApiClient - POST /api/v2/orders failed: "
                f"401 Unauthorized - token expired (token id tk-{rng.randint(100, 999)})"
            )
        else:
            lines.append(
                f"{stamp} INFO  [{worker}] c.b.erp.OrderSync - Pushed order {order} to ERP in "
                f"{rng.randint(40, 400)} ms"
            )
    return ("\n".join(lines) + "\n").encode()


def attach(actor, ticket, content: bytes, name: str = "erp-integration.log", **kwargs):
    upload = SimpleUploadedFile(name, content, content_type="text/plain")
    kwargs.setdefault("tz", "UTC")  # the generated lines carry UTC times without a zone
    log = services.log_attach(actor=actor, ticket=ticket, upload=upload, **kwargs)
    return services.log_process(log_id=log.pk)


@pytest.fixture
def ticket(l2_agent):
    t = make_ticket(l2_agent, title="Shop orders missing in ERP")
    type(t).objects.filter(pk=t.pk).update(created_at=EXPIRY + timedelta(minutes=35))
    t.refresh_from_db()
    return t


# --- the ranking (pure) -----------------------------------------------------------------


def test_g_statistic_is_signed_and_zero_for_equal_rates():
    assert anomalies.g_statistic(10, 10, 10, 10) == pytest.approx(0.0)
    assert anomalies.g_statistic(50, 10, 10, 100) > 0
    assert anomalies.g_statistic(1, 10, 100, 100) < 0
    # More lines behind the same ratio make a surer (bigger) change.
    assert anomalies.g_statistic(40, 10, 40, 100) > anomalies.g_statistic(4, 10, 4, 100)


def test_around_ranks_a_new_burst_above_steady_traffic():
    steady = anomalies.Series(tid=1, minutes=dict.fromkeys(range(100, 200), 5), count=500)
    burst = anomalies.Series(tid=2, minutes=dict.fromkeys(range(180, 190), 20), count=200)
    w = anomalies.window(start_ts=185 * 60, before=600, after=600, first_ts=6000, last_ts=11990)
    assert w is not None and (w.start, w.end, w.baseline_start) == (175, 195, 100)
    rose, fell = anomalies.around([steady, burst], w)
    assert [s.tid for s in rose] == [2] and rose[0].new and rose[0].ratio is None
    assert fell == [] or fell[0].tid == 1


def test_a_window_outside_the_log_is_none():
    assert anomalies.window(start_ts=0, before=60, after=60, first_ts=6000, last_ts=7000) is None


def test_compare_ranks_templates_only_in_one_log_first():
    a = [anomalies.Series(1, {}, 100), anomalies.Series(2, {}, 300)]
    b = [anomalies.Series(1, {}, 100), anomalies.Series(3, {}, 5)]
    shifts = anomalies.compare(a, 60, b, 60)
    assert shifts[0].tid == 2 and shifts[0].new
    assert {s.tid for s in shifts} == {1, 2, 3}
    assert next(s for s in shifts if s.tid == 3).gone
    assert next(s for s in shifts if s.tid == 1).score == pytest.approx(0.0)


# --- the side files ---------------------------------------------------------------------


def test_line_index_reads_lines_by_number_template_and_text(tmp_path):
    text = tmp_path / "x.log"
    raw = [f"line {i} {'needle' if i % 97 == 0 else 'hay'}\n".encode() for i in range(1000)]
    text.write_bytes(b"".join(raw))
    writer = store.IndexWriter(tmp_path / "idx", copy=False)
    offset = 0
    for i, line in enumerate(raw):
        writer.add(1 if i % 97 == 0 else 0, offset, line)
        offset += len(line)
    writer.close()
    lines = store.LogLines(tmp_path / "idx", text, 1000)
    assert lines.read(513, 2) == [(513, "line 513 hay"), (514, "line 514 hay")]
    numbers, cursor = lines.template_lines({1}, -1, 3)
    assert numbers == [0, 97, 194] and cursor == 194
    numbers, cursor = lines.template_lines({1}, 194, 100)
    assert numbers[0] == 291 and numbers[-1] == 970 and cursor is None
    assert lines.at([0, 97, 255, 256, 970, 999, 1000]) == [
        (n, f"line {n} {'needle' if n % 97 == 0 else 'hay'}") for n in (0, 97, 255, 256, 970, 999)
    ]
    hits, cursor = lines.search("NEEDLE", 500, 2)
    assert [n for n, _ in hits] == [582, 679] and cursor == 679


# --- services --------------------------------------------------------------------------


def test_a_log_is_mined_and_the_expired_token_ranks_first_around_the_incident(l2_agent, ticket):
    log = attach(l2_agent, ticket, erp_log())
    assert log.status == LogStatus.READY, log.error
    assert log.format_name and log.lines > 1000 and log.first_at is not None
    around = queries.around_incident(log, start=ticket.created_at)
    top, stat = around.rose[0]
    assert "token expired" in stat.template.text and top.new
    assert top.count_a > 100 and top.count_b == 0
    fell = [s.template.text for _, s in around.fell]
    assert any("Pushed order" in t for t in fell)  # successes stopped
    timeline = queries.error_timeline(log)
    assert timeline is not None and sum(timeline["bars"]) == top.count_a + 0
    assert ticket.events.filter(kind=EventKind.LOG_ATTACHED).exists()


def test_gzip_logs_are_read_and_their_lines_shown(l2_agent, ticket):
    content = erp_log()
    log = attach(l2_agent, ticket, gzip.compress(content), name="erp.log.gz")
    assert log.status == LogStatus.READY and log.compressed
    first = content.split(b"\n", 1)[0].decode()
    assert queries.log_lines(log).read(0, 1) == [(0, first)]


def test_a_second_log_extends_the_same_templates(l2_agent, ticket):
    first = attach(l2_agent, ticket, erp_log(seed=1))
    count = LogTemplate.objects.filter(ticket=ticket).count()
    second = attach(l2_agent, ticket, erp_log(seed=2), name="erp-2.log")
    assert second.status == LogStatus.READY
    assert LogTemplate.objects.filter(ticket=ticket).count() == count
    comparison = queries.compare_logs(first, second)
    assert all(not s.new and not s.gone for s, _ in comparison.shifts)


def test_bad_input_is_refused_and_changes_nothing(l2_agent, ticket, requester, settings):
    empty = SimpleUploadedFile("empty.log", b"")
    with pytest.raises(DomainError) as exc:
        services.log_attach(actor=l2_agent, ticket=ticket, upload=empty)
    assert exc.value.field == "file"
    with pytest.raises(DomainError) as exc:
        services.log_attach(
            actor=l2_agent,
            ticket=ticket,
            upload=SimpleUploadedFile("a.log", b"x\n"),
            tz="Mars/Base",
        )
    assert exc.value.field == "tz"
    with pytest.raises(DomainError) as exc:
        services.log_attach(
            actor=l2_agent,
            ticket=ticket,
            upload=SimpleUploadedFile("a.log", b"x\n"),
            pattern="(?P<message>unclosed",
        )
    assert exc.value.field == "pattern"
    settings.BACKLINE_MAX_LOG_BYTES = 10
    with pytest.raises(DomainError) as exc:
        services.log_attach(
            actor=l2_agent, ticket=ticket, upload=SimpleUploadedFile("a.log", b"x" * 11)
        )
    assert exc.value.field == "file"
    assert not LogFile.objects.exists()


def test_share_paths_must_stay_inside_the_share(l2_agent, ticket, settings, tmp_path):
    share = tmp_path / "share"
    (share / "crm").mkdir(parents=True)
    (share / "crm" / "erp.log").write_bytes(erp_log(hours=1))
    (tmp_path / "secret.txt").write_text("no")
    settings.BACKLINE_LOG_SHARE = str(share)
    for bad in ("../secret.txt", "/etc/passwd", "crm/missing.log", ""):
        with pytest.raises(DomainError):
            services.log_attach(actor=l2_agent, ticket=ticket, share_path=bad)
    log = services.log_attach(actor=l2_agent, ticket=ticket, share_path="crm/erp.log")
    log = services.log_process(log_id=log.pk)
    assert log.status == LogStatus.READY and log.source == "share" and log.lines > 100


def test_an_unreadable_log_fails_with_a_reason_and_can_be_read_again(l2_agent, ticket):
    log = attach(l2_agent, ticket, erp_log(hours=1))
    log.file.storage.delete(log.file.name)
    LogFile.objects.filter(pk=log.pk).update(status=LogStatus.QUEUED)
    failed = services.log_process(log_id=log.pk)
    assert failed.status == LogStatus.FAILED and failed.error
    with pytest.raises(DomainError):
        services.log_reprocess(actor=l2_agent, log=LogFile.objects.get(pk=log.pk), pattern="(?P<x")


def test_processing_is_idempotent(l2_agent, ticket):
    log = attach(l2_agent, ticket, erp_log(hours=1))
    again = services.log_process(log_id=log.pk)  # a retried task finds it done
    assert again.status == LogStatus.READY and again.lines == log.lines
    assert log.stats.count() == again.stats.count()


def test_pinned_template_goes_into_the_handoff_and_unpinning_takes_it_out(l2_agent, ticket):
    log = attach(l2_agent, ticket, erp_log())
    _, stat = queries.around_incident(log, start=ticket.created_at).rose[0]
    evidence = services.evidence_pin(
        actor=l2_agent, log=log, template_number=stat.template.number, note="the cause"
    )
    assert "token expired" in evidence.excerpt and evidence.happened_at is not None
    assert evidence.excerpt.count("\n") >= 3  # the template, its count, and sample lines
    prefill = handoff_prefill(ticket)
    assert "token expired" in prefill["log_excerpts"]
    assert [e.data["evidence"] for e in pinned_evidence([ticket.pk])] == [evidence.pk]
    services.evidence_unpin(actor=l2_agent, evidence=evidence)
    assert pinned_evidence([ticket.pk]) == []
    assert "token expired" not in handoff_prefill(ticket).get("log_excerpts", "")


def test_pinning_a_range_of_lines_checks_the_range(l2_agent, ticket):
    log = attach(l2_agent, ticket, erp_log(hours=1))
    evidence = services.evidence_pin(actor=l2_agent, log=log, line_from=3, line_to=5)
    assert evidence.excerpt.count("\n") == 2 and evidence.title.endswith("lines 3–5")
    for first, last in ((0, 2), (5, 3), (1, log.lines + 1), (1, 500)):
        with pytest.raises(DomainError):
            services.evidence_pin(actor=l2_agent, log=log, line_from=first, line_to=last)
    with pytest.raises(DomainError):
        services.evidence_pin(actor=l2_agent, log=log)
    assert LogEvidence.objects.count() == 1


def test_memory_names_the_earlier_incident_and_how_it_was_resolved(l2_agent, ticket):
    from backline.tickets.services import ticket_transition

    earlier = make_ticket(l2_agent, title="ERP sync stopped last spring")
    attach(l2_agent, earlier, erp_log(seed=5))
    ticket_transition(
        actor=l2_agent,
        ticket=earlier,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Renewed the ERP API token and re-queued the orders.",
    )
    log = attach(l2_agent, ticket, erp_log())
    found = queries.memory(log)
    assert found and found[0].ticket == earlier
    assert "token expired" in found[0].template.text


def test_deleting_a_log_keeps_pinned_evidence(l2_agent, ticket, django_capture_on_commit_callbacks):
    log = attach(l2_agent, ticket, erp_log(hours=1))
    evidence = services.evidence_pin(actor=l2_agent, log=log, line_from=1, line_to=1)
    directory, stored = services.log_dir(log.pk), log.file.path
    with django_capture_on_commit_callbacks(execute=True):
        services.log_delete(actor=l2_agent, log=log)
    evidence.refresh_from_db()
    assert evidence.log is None and evidence.excerpt
    assert not LogFile.objects.exists() and not LogTemplate.objects.filter(ticket=ticket).exists()
    assert not directory.exists() and not Path(stored).exists()


def test_requesters_cannot_attach_or_read_logs(requester, l2_agent):
    own = make_ticket(requester, title="My report fails")
    with pytest.raises(DomainError):
        services.log_attach(actor=requester, ticket=own, upload=SimpleUploadedFile("a.log", b"x\n"))
    client = api_client_for(requester)
    assert client.get(f"/api/v1/tickets/{own.number}/logs").status_code == 403


# --- web pages -------------------------------------------------------------------------


def test_the_investigation_page_and_its_fragments(web, l2_agent, ticket):
    log = attach(l2_agent, ticket, erp_log())
    page = web.get(reverse("diagnostics:log", args=[ticket.number, log.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Around the incident" in body and "token expired" in body and "err-chart" in body
    stat = log.stats.select_related("template").order_by("-count").first()
    lines = web.get(
        reverse("diagnostics:template_lines", args=[ticket.number, log.pk, stat.template.number]),
        HTTP_HX_REQUEST="true",
    )
    assert lines.status_code == 200 and lines.content.decode().count("<li>") == 50
    found = web.get(
        reverse("diagnostics:search", args=[ticket.number, log.pk]), {"q": "token expired"}
    )
    assert "Lines with" in found.content.decode()
    context = web.get(reverse("diagnostics:context", args=[ticket.number, log.pk]), {"line": 10})
    assert context.content.decode().count("<li") == 18  # the wrapper and 17 lines
    filtered = web.get(
        reverse("diagnostics:templates", args=[ticket.number, log.pk]), {"level": "error"}
    )
    assert "token expired" in filtered.content.decode()
    assert "Pushed order" not in filtered.content.decode()
    around = web.get(
        reverse("diagnostics:around", args=[ticket.number, log.pk]),
        {"start": "2026-11-02T04:30", "before": "10", "after": "10"},
    )
    assert around.status_code == 200 and "token expired" not in around.content.decode()


def test_the_upload_form_and_the_ticket_panel(web, ticket, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("erp.log", erp_log(hours=1))
    response = web.post(reverse("diagnostics:upload", args=[ticket.number]), {"file": upload})
    log = LogFile.objects.get()
    queued = web.get(reverse("diagnostics:panel", args=[ticket.number]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in queued.content.decode()  # it polls while the log waits
    with django_capture_on_commit_callbacks(execute=True):
        services.log_reprocess(actor=log.uploaded_by, log=log)
    assert response.status_code == 302 and response.url.endswith(f"/logs/{log.pk}/")
    page = web.get(ticket.get_absolute_url())
    assert "Logs and evidence" in page.content.decode()
    panel = web.get(reverse("diagnostics:panel", args=[ticket.number]), HTTP_HX_REQUEST="true")
    assert "erp.log" in panel.content.decode() and "Ready" in panel.content.decode()
    missing = web.post(reverse("diagnostics:upload", args=[ticket.number]), {})
    assert missing.status_code == 302 and LogFile.objects.count() == 1


def test_comparing_two_logs_page(web, l2_agent, ticket):
    good = attach(l2_agent, ticket, erp_log(expiry=START + timedelta(days=1)), name="good.log")
    attach(l2_agent, ticket, erp_log(), name="bad.log")
    page = web.get(reverse("diagnostics:compare", args=[ticket.number, good.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "only in bad.log" in body


# --- API --------------------------------------------------------------------------------


def test_api_push_rank_pin_and_read(api, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the task runs once it commits
        response = api.post(
            f"/api/v1/tickets/{ticket.number}/logs",
            {"file": io.BytesIO(erp_log()), "tz": "UTC"},
        )
    assert response.json()["status"] == "queued"
    assert response.status_code == 201, response.content
    log_id = response.json()["id"]
    detail = api.get(f"/api/v1/tickets/{ticket.number}/logs/{log_id}").json()
    assert detail["status"] == "ready" and detail["progress"] == 100 and detail["format"]
    around = api.get(f"/api/v1/tickets/{ticket.number}/logs/{log_id}/around").json()
    top = around["rising"][0]
    assert "token expired" in top["text"] and top["new"] and top["ratio"] is None
    templates = api.get(f"/api/v1/tickets/{ticket.number}/logs/{log_id}/templates").json()
    assert templates[0]["count"] >= templates[-1]["count"] and len(templates[0]["spark"]) == 32
    lines = api.get(
        f"/api/v1/tickets/{ticket.number}/logs/{log_id}/templates/{top['template']}/lines"
    ).json()
    assert len(lines["lines"]) == 100 and lines["next"] is not None
    assert all("token expired" in x["text"] for x in lines["lines"])
    page = api.get(
        f"/api/v1/tickets/{ticket.number}/logs/{log_id}/lines", {"start": 1, "count": 5}
    ).json()
    assert [x["line"] for x in page["lines"]] == [1, 2, 3, 4, 5] and page["next"] == 6
    found = api.get(
        f"/api/v1/tickets/{ticket.number}/logs/{log_id}/search", {"q": "401 Unauthorized"}
    ).json()
    assert found["lines"] and all("401" in x["text"] for x in found["lines"])
    pinned = api.post(
        f"/api/v1/tickets/{ticket.number}/logs/{log_id}/evidence",
        {"template": top["template"], "note": "cause"},
        content_type="application/json",
    )
    assert pinned.status_code == 201 and "token expired" in pinned.json()["excerpt"]
    listed = api.get(f"/api/v1/tickets/{ticket.number}/evidence").json()
    assert [e["id"] for e in listed] == [pinned.json()["id"]]
    gone = api.delete(f"/api/v1/tickets/{ticket.number}/evidence/{pinned.json()['id']}")
    assert gone.status_code == 204 and not LogEvidence.objects.exists()


def test_api_errors_name_the_field(api, ticket, django_capture_on_commit_callbacks):
    bad = api.post(
        f"/api/v1/tickets/{ticket.number}/logs", {"file": io.BytesIO(b"x\n"), "tz": "Nowhere/City"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "tz"
    assert api.get(f"/api/v1/tickets/{ticket.number}/logs/999").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/tickets/{ticket.number}/logs", {"file": io.BytesIO(erp_log(hours=1))}
        )
    log_id = response.json()["id"]
    pin = api.post(
        f"/api/v1/tickets/{ticket.number}/logs/{log_id}/evidence",
        {"line_from": 5, "line_to": 2},
        content_type="application/json",
    )
    assert pin.status_code == 422 and pin.json()["field"] == "line_from"
    search = api.get(f"/api/v1/tickets/{ticket.number}/logs/{log_id}/search", {"q": " "})
    assert search.status_code == 422
    share = api.post(
        f"/api/v1/tickets/{ticket.number}/logs/share",
        {"path": "x.log"},
        content_type="application/json",
    )
    assert share.status_code == 422 and share.json()["field"] == "share_path"


# --- problems, known errors and the terminal ---------------------------------------------


def test_pinned_evidence_is_offered_in_the_problem_rca_and_added_to_its_timeline(
    web, l2_agent, ticket
):
    from backline.problems.models import TimelineEntry
    from backline.problems.services import problem_create, problem_link_incidents

    log = attach(l2_agent, ticket, erp_log())
    _, stat = queries.around_incident(log, start=ticket.created_at).rose[0]
    services.evidence_pin(actor=l2_agent, log=log, template_number=stat.template.number)
    problem = problem_create(actor=l2_agent, title="ERP order sync stops", statement="Twice")
    problem_link_incidents(actor=l2_agent, problem=problem, tickets=[ticket])
    page = web.get(reverse("problems:detail", args=[problem.number]))
    body = page.content.decode()
    assert 'data-testid="rca-pinned-evidence"' in body and "token expired" in body
    event = pinned_evidence([ticket.pk])[0]
    form = {
        "happened_at": "2026-11-02T07:05",
        "text": event.data["title"],
        "evidence": f"{ticket.get_absolute_url()}#event-{event.pk}",
    }
    web.post(reverse("problems:timeline_add", args=[problem.number]), form)
    entry = TimelineEntry.objects.get(problem=problem)
    assert entry.ticket_event_id == event.pk and "token expired" in entry.text
    again = web.get(reverse("problems:detail", args=[problem.number])).content.decode()
    assert 'data-testid="rca-pinned-evidence"' not in again  # offered once, now in the timeline


def test_memory_names_the_known_error_of_an_earlier_incidents_problem(l2_agent, ticket):
    from backline.problems.known_errors import known_error_create
    from backline.problems.services import problem_create, problem_link_incidents

    earlier = make_ticket(l2_agent, title="ERP sync stopped in March")
    attach(l2_agent, earlier, erp_log(seed=9))
    problem = problem_create(actor=l2_agent, title="ERP token expires unnoticed")
    problem_link_incidents(actor=l2_agent, problem=problem, tickets=[earlier])
    ke = known_error_create(
        actor=l2_agent,
        problem=problem,
        title="ERP API token expired",
        symptoms="401 token expired in the integration log",
        workaround="Renew the INT_SHOP token in ERP and restart the order sync.",
    )
    found = queries.memory(attach(l2_agent, ticket, erp_log()))
    assert found[0].ticket == earlier and found[0].known_errors == [ke]


def test_the_terminal_summary_without_a_server(tmp_path, capsys):
    from backline import cli

    path = tmp_path / "erp.log.gz"
    path.write_bytes(gzip.compress(erp_log()))
    code = cli.main(
        ["logs", "analyze", str(path), "--incident-start", "2026-11-02T06:40:00Z", "--top", "5"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Log4j" in out and "Templates by lines" in out
    around = out.split("Around the incident", 1)[1]
    assert around.index("token expired") < around.index("Pushed order")  # rose first, fell after
    assert cli.main(["logs", "analyze", str(tmp_path / "missing.log")]) == 2
    assert cli.main(["logs", "analyze", str(path), "--pattern", "(?P<message"]) == 2
