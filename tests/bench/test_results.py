"""The recorded results: the README's "Performance" table is bench/results/latest.md, and latest
holds each benchmark's newest full measurement (a run of one benchmark replaces only its own)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bench import report

pytestmark = pytest.mark.backend_independent


def test_the_readme_shows_the_latest_recording() -> None:
    readme = report.README.read_text()
    assert report.with_results(readme, (report.RESULTS / "latest.md").read_text()) == readme


def test_every_recorded_benchmark_names_its_run_and_the_goals_are_theirs() -> None:
    latest = json.loads((report.RESULTS / "latest.json").read_text())
    assert latest["quick"] is False
    for name, bench in latest["benchmarks"].items():
        assert bench["run"]["commit"] and bench["run"]["date"], name
    assert latest["goals"] == report.goals_of(latest["benchmarks"])


def _result(name: str, met: bool) -> report.Result:
    return report.Result(name, name.title(), rows=[report.Row("case", "1 s")], goals=[report.Goal(f"{name} goal", "1 s", met)])


def test_a_run_of_one_benchmark_replaces_only_its_own(tmp_path) -> None:
    def run(*results: report.Result, at: str) -> dict:
        doc = report.document(list(results), quick=False, rounds_note="1 round", started=dt.datetime.fromisoformat(at), at_start=report.machine())
        report.save(doc | {"failed": [], "not_run": []}, tmp_path)
        return json.loads((tmp_path / "latest.json").read_text())

    first = run(_result("intake", False), _result("startup", False), at="2026-12-01T10:00:00+00:00")
    second = run(_result("startup", True), at="2026-12-01T11:00:00+00:00")
    assert list(second["benchmarks"]) == ["intake", "startup"]
    assert second["benchmarks"]["intake"] == first["benchmarks"]["intake"]
    assert second["benchmarks"]["startup"]["run"]["date"] == "2026-12-01T11:00:00+00:00"
    assert [(g["benchmark"], g["met"]) for g in second["goals"]] == [("intake", False), ("startup", True)]
    markdown = (tmp_path / "latest.md").read_text()
    assert "**Intake** (measured 2026-12-01T10:00:00+00:00" in markdown and "**Startup**\n" in markdown
