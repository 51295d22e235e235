"""Results: the machine they were measured on, a table for people (Rich, and Markdown for the
README), JSON for machines, and the files under bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench results -->", "<!-- end bench results -->"


@dataclass
class Row:
    """One line of the table: Mailwright's figure, the baseline's, their ratio."""

    case: str
    measured: str
    baseline: str = ""
    ratio: str = ""
    detail: str = ""


@dataclass
class Goal:
    """A goal of the issue this figure answers to, and whether it is met."""

    goal: str
    measured: str
    met: bool


@dataclass
class Result:
    name: str
    title: str
    config: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def machine() -> dict[str, Any]:
    memory_kib = _first("/proc/meminfo", "MemTotal").split()[0] if _first("/proc/meminfo", "MemTotal") else "0"
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory_kib) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": _first("/etc/os-release", "PRETTY_NAME=") or platform.platform(),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "src"))}


def document(results: list[Result], *, quick: bool, rounds_note: str, started: dt.datetime, at_start: dict[str, Any]) -> dict[str, Any]:
    """`at_start`: machine() when the run began (its load average then). Each benchmark also
    carries its run's date, commit, rounds and load (`run`), so that `latest` can hold each
    benchmark's newest measurement even when they were measured in separate runs."""
    head = {
        "date": started.isoformat(timespec="seconds"),
        "quick": quick,
        "rounds": rounds_note,
        "machine": at_start | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        **commit(),
    }
    run = {k: head[k] for k in ("date", "commit", "rounds")} | {"load_average": [head["machine"]["load_average_at_start"][0], head["machine"]["load_average_at_end"][0]]}
    benchmarks = {r.name: r.as_dict() | {"run": run} for r in results}
    return head | {"benchmarks": benchmarks, "goals": goals_of(benchmarks)}


def goals_of(benchmarks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [g | {"benchmark": name} for name, bench in benchmarks.items() for g in bench["goals"]]


def merged_latest(doc: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """`latest`: this run's benchmarks, and the previous latest's for those this run did not
    measure (a run of one benchmark replaces only that one), in the order of `order`."""
    if not previous:
        return doc
    earlier = {
        "date": previous["date"],
        "commit": previous["commit"],
        "rounds": previous["rounds"],
        "load_average": [previous["machine"]["load_average_at_start"][0], previous["machine"].get("load_average_at_end", [None])[0]],
    }
    kept = {name: {"run": earlier} | bench for name, bench in previous.get("benchmarks", {}).items()}
    benchmarks = {**kept, **doc["benchmarks"]}
    return doc | {"benchmarks": benchmarks, "goals": goals_of(benchmarks)}


def clean(value: Any) -> Any:
    """JSON has no NaN or infinity: a figure that could not be measured is null."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def save(doc: dict[str, Any], directory: Path) -> Path:
    """bench/results/<date>[-quick].json and .md; a full run also as latest.json and latest.md."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = doc["date"].replace(":", "").replace("+0000", "Z")
    base = directory / (stamp + ("-quick" if doc["quick"] else ""))
    text = json.dumps(clean(doc), indent=2) + "\n"
    markdown = to_markdown(doc)
    base.with_suffix(".json").write_text(text)
    base.with_suffix(".md").write_text(markdown)
    if not doc["quick"]:
        latest = directory / "latest.json"
        previous = json.loads(latest.read_text()) if latest.exists() else None
        merged = clean(merged_latest(doc, previous))
        latest.write_text(json.dumps(merged, indent=2) + "\n")
        (directory / "latest.md").write_text(to_markdown(merged))
        if directory.resolve() == RESULTS.resolve():
            README.write_text(with_results(README.read_text(), to_markdown(merged)))
    return base.with_suffix(".json")


def with_results(readme: str, markdown: str) -> str:
    """The README with `markdown` (latest.md) between its bench results markers."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n\n" + markdown + "\n" + readme[end:]


def print_tables(doc: dict[str, Any], console: Console) -> None:
    m = doc["machine"]
    console.print(
        f"[bold]Mailwright benchmarks[/] {doc['date']} commit {doc['commit'][:10]} · {m['cpu']}, {m['cores']} cores, "
        f"{m['ram_gib']} GiB, Python {m['python']}, {m['os']} · load {m['load_average_at_start']}"
        + (" · [yellow]--quick: figures are not meaningful[/]" if doc["quick"] else "")
    )
    for bench in doc["benchmarks"].values():
        table = Table(title=f"{bench['title']} ({bench['seconds']:.0f} s)", title_justify="left")
        for column in ("Case", "Mailwright", "Baseline", "Ratio", "Detail"):
            table.add_column(column, justify="left" if column in ("Case", "Detail") else "right")
        for row in bench["rows"]:
            table.add_row(row["case"], row["measured"], row["baseline"], row["ratio"], row["detail"])
        console.print(table)
        for note in bench["notes"]:
            console.print(f"  [dim]{note}[/]")
    goals = Table(title="Goals (issue: intake, read path, provisioning, bulk, cold start, RSS)", title_justify="left")
    for column in ("Benchmark", "Goal", "Measured", "Met"):
        goals.add_column(column)
    for goal in doc["goals"]:
        goals.add_row(goal["benchmark"], goal["goal"], goal["measured"], "[green]yes[/]" if goal["met"] else "[red]no[/]")
    console.print(goals)


def to_markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [
        f"Measured {doc['date']} at commit `{doc['commit'][:10]}` on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, "
        f"Python {m['python']}, {m['os']} (load average {m['load_average_at_start'][0]} at the start, a shared machine). "
        f"{doc['rounds']}",
        "",
    ]
    for bench in doc["benchmarks"].values():
        run = bench.get("run")
        measured = ""
        if run and (run["date"], run["commit"]) != (doc["date"], doc["commit"]):
            measured = f" (measured {run['date']} at commit `{run['commit'][:10]}`, load average {run['load_average'][0]}; {run['rounds']})"
        lines += [f"**{bench['title']}**{measured}", "", "| Case | Mailwright | Baseline | Ratio | Detail |", "|---|---:|---:|---:|---|"]
        lines += [f"| {r['case']} | {r['measured']} | {r['baseline']} | {r['ratio']} | {r['detail']} |" for r in bench["rows"]]
        lines += [""] + [f"- {note}" for note in bench["notes"]] + ([""] if bench["notes"] else [])
    lines += ["**Goals**", "", "| Benchmark | Goal | Measured | Met |", "|---|---|---|---|"]
    lines += [f"| {g['benchmark']} | {g['goal']} | {g['measured']} | {'yes' if g['met'] else 'no'} |" for g in doc["goals"]]
    return "\n".join(lines) + "\n"
