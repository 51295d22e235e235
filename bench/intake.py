"""Order intake: POST /rest/v2/domains/order (1 domain + 3 GOOGLE mailboxes) against `serve` with
its worker, vs the floor's one INSERT + commit per request; SQLite and PostgreSQL."""

from __future__ import annotations

from bench.compare import Side, alternate, at, compared
from bench.load import Generator, Request
from bench.plan import Plan
from bench.report import Goal, Result, Row
from bench.stack import Workspace, order_template, prepare_account, workspace

GOALS = {"sqlite": (0.50, 100.0), "postgresql": (0.30, None)}  # share of the floor at 32 clients, p99 ms


def run(plan: Plan) -> Result:
    result = Result("intake", "Order intake (POST /order: 1 domain + 3 mailboxes; serve with its worker) vs the floor (1 INSERT + commit)")
    work = workspace()
    work.floors(*plan.backends)
    generator = work.generator()
    result.rows.append(ceiling(work, generator, plan, result))
    for backend in plan.backends:
        # --quick: the serve without a worker that read and bulk share (its orders are not provisioned
        # meanwhile, which in a quick run would only take CPU from the benchmarks after it).
        with work.serving(plan, "intake", backend, worker=not plan.quick) as (target_server, _):
            floor_server = work.floor(backend)
            prepare_account(target_server)
            headers = (("x-api-key", target_server.api_key),)
            target = Side("serve", [target_server], Request("POST", "/rest/v2/domains/order", order_template(), headers, 202))
            floor = Side("floor", [floor_server], Request("POST", "/order", order_template(), (), 202))
            alternate(generator, target, floor, plan.clients, plan, plan.duration)
        figures, rows, notes = compared(target, floor, backend)
        result.figures[backend] = figures
        result.rows += rows
        result.notes += notes
        share, p99_goal = GOALS[backend]
        count, chosen = at(figures, 32)
        result.goals.append(Goal(f"{backend}: ≥ {share:.0%} of the floor's orders/s at 32 clients", f"{chosen['ratio']:.1%} at {count} clients", chosen["ratio"] >= share))
        if p99_goal is not None:
            p99 = chosen["target"]["p99_ms"]
            result.goals.append(Goal(f"{backend}: p99 < {p99_goal:.0f} ms at 32 clients", f"{p99:.0f} ms at {count} clients", p99 < p99_goal))
    return result


def ceiling(workspace: Workspace, generator: Generator, plan: Plan, result: Result) -> Row:
    """The generator against the floor's GET /ping (no database): how fast it can go at all."""
    count = 32 if 32 in plan.clients else max(plan.clients)
    floor_server = workspace.floor("sqlite")
    samples = [generator.run([floor_server.base_url], Request("GET", "/ping"), count, plan.warmup, plan.duration) for _ in range(plan.rounds)]
    best = max(samples, key=lambda s: s.rate)
    result.figures["generator_ceiling"] = {"clients": count, "rate": round(best.rate, 1), "generator_cores": round(best.generator_cores, 3)}
    return Row(
        f"load generator ceiling, {count} clients",
        "",
        f"{best.rate:.0f}/s",
        "",
        f"floor GET /ping (no database); the generator used {best.generator_cores:.2f} cores",
    )
