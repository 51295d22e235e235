"""`./mw bench all --quick` end to end, so that the benchmark scripts never rot. It checks that
every benchmark ran and reported what it should, never how fast: timings are the benchmarks'
business, and these machines are too noisy for a test to judge them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = {"intake", "read", "bulk", "provision", "scaleout", "startup", "dashboard"}
QUICK_CLIENTS = {"4"}
RUN_TIMEOUT = 840  # seconds: about a minute and a half on a lightly loaded 2-core machine, minutes under heavy load


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    results = tmp_path_factory.mktemp("bench-results")
    command = [str(ROOT / "mw"), "bench", "all", "--quick", "--json", "--results", str(results)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
        try:
            out, err = run.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            run.terminate()  # SIGTERM: the benchmarks stop every process they started
            out, err = run.communicate(timeout=60)
            pytest.fail(f"./mw bench all --quick took over {RUN_TIMEOUT} s:\n{err[-5000:]}")
    assert run.returncode == 0, err[-5000:]
    return json.loads(out), results


pytestmark = [pytest.mark.slow, pytest.mark.backend_independent, pytest.mark.timeout(RUN_TIMEOUT + 120)]


def test_every_benchmark_ran_and_the_run_is_described(quick_run: tuple[dict, Path]) -> None:
    doc, results = quick_run
    assert doc["failed"] == [] and doc["not_run"] == []
    assert set(doc["benchmarks"]) == BENCHMARKS
    assert doc["quick"] is True
    assert re.fullmatch(r"[0-9a-f]{40}", doc["commit"])
    machine = doc["machine"]
    assert machine["cores"] >= 1 and machine["ram_gib"] > 0
    assert machine["cpu"] and machine["python"] and machine["os"]
    # Written where asked, as JSON and Markdown; a quick run is never the recorded `latest`.
    written = sorted(p.name for p in results.iterdir())
    assert len(written) == 2 and written[0].endswith("-quick.json") and written[1].endswith("-quick.md")
    assert json.loads((results / written[0]).read_text())["benchmarks"].keys() == doc["benchmarks"].keys()
    names = {goal["benchmark"] for goal in doc["goals"]}
    assert names == {"intake", "read", "provision", "startup", "dashboard"}  # bulk's goal needs its 1,000-domain order
    assert all(isinstance(goal["met"], bool) and goal["measured"] for goal in doc["goals"])


def test_intake_and_read_compare_every_client_count_with_the_floor(quick_run: tuple[dict, Path]) -> None:
    doc, _ = quick_run
    intake = doc["benchmarks"]["intake"]["figures"]
    read = doc["benchmarks"]["read"]["figures"]
    comparisons = [intake["sqlite"], read["providers"], read["domains"], read["mailbox"]]
    for figures in comparisons:
        assert QUICK_CLIENTS <= set(figures)
        for count in QUICK_CLIENTS:
            for side in ("target", "baseline"):
                assert figures[count][side]["errors"] == 0
                assert figures[count][side]["rate"] >= 0
    # --quick's serve is shared: the domain list holds the other benchmarks' orders as well.
    assert read["domains"]["rows"] >= 10 and read["mailbox"]["rows"] == 1 and read["providers"]["rows"] > 0
    assert intake["generator_ceiling"]["rate"] > 0
    answered = sum(r["answers"] for f in comparisons for c in QUICK_CLIENTS for s in ("target", "baseline") for r in f[c][s]["rounds"])
    assert answered > 0


def test_bulk_provisioning_scaleout_and_startup_report_their_figures(quick_run: tuple[dict, Path]) -> None:
    doc, _ = quick_run
    benchmarks = doc["benchmarks"]
    sizes = benchmarks["bulk"]["figures"]["sqlite"]["sizes"]
    assert set(sizes) == {"2", "10"}
    assert all(s["target_s"] > 0 and s["baseline_s"] > 0 for s in sizes.values())
    provision = benchmarks["provision"]["figures"]
    for run in (provision["2x0ms"], provision["2x200ms"]):
        assert (run["ready_domains"], run["live_mailboxes"], run["failed"], run["extrapolated"]) == (2, 6, 0, False)
    calls = provision["provider_calls_per_domain"]
    assert calls["registrar"] >= 1 and calls["dns"] >= 1 and calls["GOOGLE"] >= 3  # 3 mailboxes created
    assert calls["provider_steps"] >= 3
    assert provision["2x200ms"]["bound_s"] > 0 and 0 < provision["2x200ms"]["efficiency"]
    scaleout = benchmarks["scaleout"]["figures"]["1"]  # --quick: one API process and one worker
    # Every API process and worker shares the run's secret key: what one encrypts, another decrypts.
    assert (scaleout["provision"]["ready_domains"], scaleout["provision"]["live_mailboxes"], scaleout["provision"]["failed"]) == (2, 6, 0)
    assert scaleout["intake"]["errors"] == 0
    startup = benchmarks["startup"]["figures"]
    assert startup["cold_start_s"] > 0 and startup["floor_cold_start_s"] > 0
    assert startup["memory_peak_mb"] > 0 and startup["memory_idle_mb"] > 0
    # Each sample's RSS counts every shared page in full, its PSS a share of it: never more.
    assert startup["rss_sum_peak_mb"] >= startup["memory_peak_mb"] and startup["rss_sum_idle_mb"] >= startup["memory_idle_mb"]


def test_the_dashboard_pages_are_each_compared_with_the_floor(quick_run: tuple[dict, Path]) -> None:
    doc, _ = quick_run
    dashboard = doc["benchmarks"]["dashboard"]
    figures = dashboard["figures"]
    assert set(figures) == {"overview", "domains", "domains search", "domain", "mailbox", "order", "downloads", "subscriptions", "webhooks",
                            "operator accounts", "operator work"}
    for page in figures.values():
        assert page["path"].startswith("/dashboard") and page["rows"] >= 1
        for side in ("target", "baseline"):
            assert page["1"][side]["errors"] == 0 and page["1"][side]["rate"] > 0  # signed in: every answer a 200 page
    assert dashboard["config"]["domains"] == 10 and figures["domains"]["rows"] == 11  # 10 + the provisioned one
    [goal] = [g for g in doc["goals"] if g["benchmark"] == "dashboard"]
    assert goal["goal"].startswith("dashboard pages < 300 ms with 10 domains") and "p99" in goal["measured"]
