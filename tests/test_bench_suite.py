"""The benchmark suite's pure parts (bench/suite*.py): percentiles, targets, ratios, the table,
the JSON, the commit lookup and the arguments. Nothing here starts a server or times anything;
the suite itself is run by hand (`make bench`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from rich.console import Console

from bench.suite import build_parser, parse_only, resolve
from bench.suite_cases import lazy_panels
from bench.suite_http import worker_rss_mb
from bench.suite_stats import (
    Ceilings,
    Row,
    Target,
    apply_ratios,
    cells,
    git_short_sha,
    latency_row,
    percentile,
    render_table,
    to_json,
)

# -- percentiles and rows ---------------------------------------------------------------------


def test_percentile_is_nearest_rank_of_observed_values():
    samples = [float(i) for i in range(1, 101)]  # 1..100
    assert percentile(samples, 0.95) == 95.0
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 1.0) == 100.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0.95) == 3.0  # unsorted input


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        percentile([], 0.95)


def test_latency_row_computes_median_p95_mean_and_throughput():
    row = latency_row("queue", "q", [10.0, 20.0, 30.0, 40.0], seconds=2.0)
    assert (row.n, row.median_ms, row.p95_ms, row.mean_ms) == (4, 25.0, 40.0, 25.0)
    assert row.throughput == 2.0


# -- targets ----------------------------------------------------------------------------------


def test_targets_pass_miss_and_blank():
    fast = Row("g", "fast", p95_ms=40.0, throughput=500.0)
    fast.targets = [Target("throughput", ">=", 400, "/s"), Target("p95_ms", "<=", 50)]
    assert fast.verdict == "pass"
    slow = Row("g", "slow", p95_ms=60.0, throughput=500.0, targets=fast.targets)
    assert slow.verdict == "miss"  # one missed target is a miss
    assert Row("g", "untargeted", p95_ms=1.0).verdict == ""
    assert Row("g", "unmeasured", targets=[Target("p95_ms", "<=", 1)]).verdict == ""


def test_target_text_names_metric_and_unit():
    assert str(Target("p95_ms", "<=", 80)) == "p95 <= 80 ms"
    assert str(Target("throughput", ">=", 400, "/s")) == ">= 400/s"
    assert str(Target("value", "<=", 250, " MB")) == "<= 250 MB"


# -- ratios -----------------------------------------------------------------------------------

CEILINGS = Ceilings(trivial_rps=1000.0, trivial_ms=2.0, insert_rows_s=100_000.0)


def test_latency_ratio_is_median_over_the_trivial_mean():
    row = Row("g", "page", median_ms=30.0)
    apply_ratios([row], CEILINGS)
    assert row.ratios == {"latency_x_trivial": 15.0}


def test_concurrent_create_gets_rps_and_insert_shares():
    row = Row("write", "create", median_ms=4.0, throughput=400.0, unit="tickets/s", concurrent=4)
    apply_ratios([row], CEILINGS)
    assert row.ratios == {
        "latency_x_trivial": 2.0,
        "rps_share_trivial": 0.4,
        "insert_share": 0.004,
    }


def test_sequential_rows_get_no_rps_share_and_missing_ceilings_give_no_ratio():
    row = Row("g", "page", median_ms=30.0, throughput=33.0)
    apply_ratios([row], Ceilings())
    assert row.ratios == {}


# -- table and JSON ---------------------------------------------------------------------------


def _rows() -> list[Row]:
    create = Row(
        "write",
        "API create",
        n=4000,
        median_ms=8.0,
        p95_ms=60.0,
        throughput=410.0,
        unit="tickets/s",
        concurrent=4,
        targets=[Target("throughput", ">=", 400, "/s"), Target("p95_ms", "<=", 50)],
        note="client CPU 0.30 cores",
    )
    memory = Row("memory", "worker RSS", value=180.5, value_unit="MB")
    memory.targets = [Target("value", "<=", 250, " MB")]
    rows = [create, memory]
    apply_ratios(rows, CEILINGS)
    return rows


def test_cells_show_numbers_targets_verdict_and_ratios():
    create, memory = _rows()
    text = cells(create)
    assert text[0] == "API create (4 clients) — client CPU 0.30 cores"
    assert text[1:5] == ["4000", "8.0", "60.0", "410.0 tickets/s"]
    assert text[5:7] == [">= 400/s, p95 <= 50 ms", "miss"]
    assert text[7:] == ["4.0×", "0.41", "0.41%"]
    assert cells(memory)[4:7] == ["180.50 MB", "<= 250 MB", "pass"]


def test_table_renders_every_row_and_the_ratio_definitions():
    console = Console(width=250, record=True)
    console.print(render_table(_rows(), "title"))
    out = console.export_text()
    assert "API create" in out
    assert "worker RSS" in out
    assert "trivial view's mean latency" in out


def test_json_holds_meta_ceilings_rows_with_verdicts():
    data = json.loads(to_json(_rows(), CEILINGS, {"commit": "abc1234"}))
    assert data["meta"] == {"commit": "abc1234"}
    assert data["ceilings"]["insert_rows_s"] == 100_000.0
    create = data["rows"][0]
    assert create["verdict"] == "miss"
    assert create["targets"] == [">= 400/s", "p95 <= 50 ms"]
    assert create["ratios"]["rps_share_trivial"] == pytest.approx(0.41)


# -- the commit, read without git -------------------------------------------------------------


def test_git_short_sha_from_a_loose_ref(tmp_path: Path):
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("0123456789abcdef\n")
    assert git_short_sha(tmp_path) == "0123456"


def test_git_short_sha_from_packed_refs_and_detached_head(tmp_path: Path):
    git = tmp_path / ".git"
    git.mkdir()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text("# pack-refs\nfedcba9876543210 refs/heads/main\n")
    assert git_short_sha(tmp_path) == "fedcba9"
    (git / "HEAD").write_text("aaaaaaabbbbbbb\n")
    assert git_short_sha(tmp_path) == "aaaaaaa"


def test_git_short_sha_without_a_checkout(tmp_path: Path):
    assert git_short_sha(tmp_path) == "nogit"


# -- arguments --------------------------------------------------------------------------------


def test_only_keeps_the_suite_order_and_refuses_unknown_names():
    assert parse_only("logs, queue,create") == ("create", "queue", "logs")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown case nope"):
        parse_only("queue,nope")


def test_defaults_resolve_data_dir_and_json_per_database(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    args = resolve(build_parser().parse_args([]))
    assert args.tickets == 1_000_000
    assert args.data_dir == tmp_path / "backline-bench-1m-sqlite"
    assert args.json.parent == args.data_dir / "results"
    assert args.json.name.startswith("sqlite-1000000-")
    pg = resolve(build_parser().parse_args(["--postgres", "--tickets", "20000"]))
    assert pg.database_url.endswith("/backline_bench")
    assert pg.data_dir == tmp_path / "backline-bench-20000-postgres"
    explicit = resolve(build_parser().parse_args(["--json", str(tmp_path / "r.json")]))
    assert explicit.json == tmp_path / "r.json"


# -- page parsing and /proc -------------------------------------------------------------------


def test_lazy_panels_are_the_hx_get_urls_loaded_on_load():
    html = (
        '<div id="a" hx-get="/kb/tickets/INC-1/suggestions" hx-trigger="load" hx-swap="x"></div>'
        '<div hx-trigger="input from:#t delay:400ms, load" hx-get="/kb/suggest?a=1&amp;b=2">'
        '<button hx-get="/not/lazy" hx-trigger="click">'
        '<div hx-get="/also/not" hx-trigger="reload-me">'
    )
    assert lazy_panels(html) == ["/kb/tickets/INC-1/suggestions", "/kb/suggest?a=1&b=2"]


def test_worker_rss_of_a_process_without_children_is_empty():
    import subprocess
    import sys

    # A fresh process of our own has no children (pytest's may: browsers, servers).
    lonely = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert worker_rss_mb(lonely.pid) == {}
    finally:
        lonely.kill()
        lonely.wait()
