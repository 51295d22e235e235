"""`./mw bench NAME [--quick] [--json] [--rounds N] [--results DIR]`: run a benchmark (or `all`),
print its table (or one JSON document with --json) and write it under bench/results/."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console

from bench import processes, report
from bench.plan import FULL, QUICK, with_rounds

BENCHMARKS = ("intake", "read", "bulk", "provision", "scaleout", "startup", "dashboard")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./mw bench", description=__doc__)
    parser.add_argument("name", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--quick", action="store_true", help="a few seconds each, small sizes: checks the scripts, the figures mean nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON document and nothing else")
    parser.add_argument("--rounds", type=int, help="rounds of target and baseline (default 3; 1 with --quick)")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="where to write the results (default bench/results)")
    args = parser.parse_args(argv)
    processes.install()
    plan = with_rounds(QUICK if args.quick else FULL, args.rounds)
    console = Console(stderr=args.json)
    started = dt.datetime.now(dt.timezone.utc)
    at_start = report.machine()
    results, failed = [], []
    names = BENCHMARKS if args.name == "all" else (args.name,)
    default = QUICK if args.quick else FULL
    rounds_note = f"Target and baseline alternated over {plan.rounds} round(s); medians."
    if plan.rounds < default.rounds:
        rounds_note += f" Rounds reduced from {default.rounds} (--rounds {plan.rounds}) to fit the run in the time the machine allowed."
    for number, name in enumerate(names):
        console.print(f"[bold]{name}[/] ...", end=" ")
        began = time.monotonic()
        try:
            result = importlib.import_module(f"bench.{name}").run(plan)
        except Exception:
            console.print("[red]failed[/]")
            console.print(traceback.format_exc(), markup=False, highlight=False)
            failed.append(name)
            continue
        finally:
            processes.stop_benchmark()
        result.seconds = round(time.monotonic() - began, 1)
        console.print(f"done in {result.seconds:.0f} s")
        results.append(result)
        # Saved after each benchmark: a run stopped later keeps what it measured.
        doc = report.document(results, quick=plan.quick, rounds_note=rounds_note, started=started, at_start=at_start)
        doc |= {"failed": failed, "not_run": list(names[number + 1 :])}
        path = report.save(doc, args.results)
    processes.stop_all()
    doc = report.document(results, quick=plan.quick, rounds_note=rounds_note, started=started, at_start=at_start)
    doc |= {"failed": failed, "not_run": []}
    path = report.save(doc, args.results)
    if args.json:
        print(json.dumps(report.clean(doc), indent=2))
    else:
        report.print_tables(doc, console)
        console.print(f"Written to {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
