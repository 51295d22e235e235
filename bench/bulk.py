"""Bulk orders: how long POST /order takes to accept an order of 50, 1,000 and 5,000 domains (3
mailboxes each; limits raised), and the time per extra domain, against `serve --no-worker` (an
accepted order is not provisioned, so nothing competes with the next one), vs the floor's one
INSERT per domain in one transaction. SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import time

from bench import loopback
from bench.load import median
from bench.plan import Plan
from bench.report import Goal, Result, Row
from bench.stack import Server, api, order_body, prepare_account, workspace

GOAL_SECONDS = 1.0  # a 1,000-domain order accepted on SQLite
LARGE = 5000  # orders this large are measured one round fewer (each takes many seconds)


def run(plan: Plan) -> Result:
    result = Result("bulk", "Bulk order acceptance (serve without worker) vs the floor (1 INSERT per domain, 1 commit)")
    work = workspace()
    work.floors(*plan.backends)
    for backend in plan.backends:
        with work.serving(plan, "bulk", backend, worker=False) as (target, _):
            prepare_account(target)
            figures = measure(target, work.floor(backend), plan)
        result.figures[backend] = figures
        for size, f in figures["sizes"].items():
            result.rows.append(
                Row(f"{backend}, {size} domains", f"{f['target_s']:.3f} s", f"{f['baseline_s']:.3f} s", f"{f['ratio']:.1f}×", f"{f['rounds']} rounds")
            )
        per = figures["per_extra_domain"]
        result.rows.append(
            Row(f"{backend}, per extra domain", f"{per['target_ms']:.2f} ms", f"{per['baseline_ms']:.3f} ms", f"{per['ratio']:.0f}×" if per["ratio"] == per["ratio"] else "n/a", "slope between the smallest and largest order")
        )
    thousand = result.figures["sqlite"]["sizes"].get(1000)
    if thousand:
        result.goals.append(Goal("sqlite: a 1,000-domain order accepted in < 1 s", f"{thousand['target_s']:.2f} s", thousand["target_s"] < GOAL_SECONDS))
    if plan.quick:
        result.notes.append("--quick: small orders only, no 1,000-domain goal")
    result.notes.append(f"Ratio: Mailwright's time / the floor's. Orders of {LARGE}+ domains: one round fewer than the others.")
    return result


def measure(target: Server, floor: Server, plan: Plan) -> dict:
    sizes: dict[int, dict] = {}
    with api(target) as mailwright, loopback.client(base_url=floor.base_url, timeout=600) as baseline:
        for size in plan.bulk_sizes:
            rounds = max(1, plan.rounds - 1) if size >= LARGE else plan.rounds
            times: dict[str, list[float]] = {"target": [], "baseline": []}
            for round_number in range(rounds):
                body = order_body([f"{secrets.token_hex(4)}x{i}.com" for i in range(size)])
                sides = [("target", mailwright, "/order"), ("baseline", baseline, "/bulk")]
                for side, client, path in sides if round_number % 2 == 0 else sides[::-1]:
                    began = time.monotonic()
                    answer = client.post(path, json=body)
                    elapsed = time.monotonic() - began
                    if answer.status_code != 202:
                        raise RuntimeError(f"{side} refused a {size}-domain order: {answer.status_code} {answer.text[:500]}")
                    times[side].append(elapsed)
            t, b = median(times["target"]), median(times["baseline"])
            sizes[size] = {"target_s": round(t, 4), "baseline_s": round(b, 4), "ratio": round(t / b, 2), "rounds": rounds, "times": times}
    small, large = min(sizes), max(sizes)
    extra = large - small
    per_target = (sizes[large]["target_s"] - sizes[small]["target_s"]) / extra * 1000
    per_baseline = (sizes[large]["baseline_s"] - sizes[small]["baseline_s"]) / extra * 1000
    return {
        "sizes": sizes,
        "per_extra_domain": {
            "target_ms": round(per_target, 3),
            "baseline_ms": round(per_baseline, 4),
            "ratio": round(per_target / per_baseline, 1) if per_baseline > 0 else float("nan"),
        },
    }
