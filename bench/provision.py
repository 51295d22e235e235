"""Provisioning: N domains × 3 mailboxes (orders of 10 domains) until every domain is ready and
every mailbox live, at 0 ms and 200 ms sandbox latency (MAILWRIGHT_SANDBOX_LATENCY_MS, added to
every provider call), on SQLite with `serve` and its worker, product defaults for the queues.

The bound is the least time the providers alone allow: each domain's provider calls run one after
another (provision_domain is sequential), so a domain needs at least calls × latency; and each
queue runs at most `concurrency` calls at once (and `limit` per `period`), so it needs at least
N × its calls × latency / concurrency. Provider calls per role are counted in a small run at
200 ms: each provider step's time from its start to its end (DBOS's record of the steps, in
milliseconds), in whole latencies, is how many provider calls it made. efficiency = bound / measured; at 0 ms the bound is 0 and the figure is
the orchestration's time per domain."""

from __future__ import annotations

import math
import secrets
import time
from collections import defaultdict

import sqlalchemy as sa

from bench.load import Request, median
from bench.plan import PROVISION_ORDER_SIZE, Plan
from bench.report import Goal, Result, Row
from bench.stack import MAILBOXES_PER_DOMAIN, PROVIDER, Server, Workspace, api, order_body, order_template, prepare_account, workspace

EFFICIENCY_GOAL = 0.90  # of the bound at 200 ms
OVERHEAD_GOAL_MS = 25.0  # per domain at 0 ms
THOUSAND_GOAL_S = 120.0  # 1,000 domains × 3 mailboxes at 0 ms
BACKEND = "sqlite"
CALIBRATION_LATENCY_MS = 200
CALIBRATION_DEADLINE = 60.0


def run(plan: Plan) -> Result:
    result = Result("provision", "Provisioning (SQLite, serve with its worker, orders of 10 domains × 3 mailboxes) vs the providers' bound")
    work = workspace()
    floor_ms = floor_request_ms(work, plan)
    result.config = {"floor_request_ms": floor_ms, "order_size": PROVISION_ORDER_SIZE}
    calls = count_calls(work, plan)
    for latency in plan.provision_latencies_ms:
        for size in plan.provision_sizes:
            with work.serving(plan, f"provision{size}_{latency}", BACKEND, sandbox_latency_ms=latency) as (server, url):
                prepare_account(server, warm=False)
                run_figures = provision(server, url, size, plan.provision_deadline[size])
            bound = bound_seconds(calls, size, latency, queue_limits())
            run_figures |= {"latency_ms": latency, "bound_s": round(bound, 2)}
            run_figures["efficiency"] = round(bound / run_figures["measured_s"], 4) if latency else None
            run_figures["overhead_per_domain_ms"] = round((run_figures["measured_s"] - bound) / size * 1000, 1)
            result.figures[f"{size}x{latency}ms"] = run_figures
            result.rows.append(row(size, latency, run_figures, floor_ms))
    result.figures["provider_calls_per_domain"] = calls
    add_goals(result)
    result.notes.append(
        f"Provider calls per domain, by queue (counted in a {plan.calibration_domains}-domain run at {CALIBRATION_LATENCY_MS} ms): {', '.join(f'{q} {n:g}' for q, n in calls.items())}; "
        f"queue limits: product defaults. Baseline at 0 ms: the floor's request time at 1 client ({floor_ms:.2f} ms)."
    )
    return result


def floor_request_ms(workspace: Workspace, plan: Plan) -> float:
    """The floor's POST /order at one client: the unit per-domain overhead is also given in."""
    floor = workspace.floor(BACKEND)
    generator = workspace.generator()
    samples = [generator.run([floor.base_url], Request("POST", "/order", order_template(), (), 202), 1, plan.warmup, plan.duration) for _ in range(plan.rounds)]
    return round(median([s.percentile(50) * 1000 for s in samples]), 3)


def provision(server: Server, url: str, size: int, deadline: float) -> dict:
    """Orders `size` domains and waits until all are ready with live mailboxes, or the deadline:
    then the time is extrapolated from the share done."""
    tag = secrets.token_hex(3)
    names = [f"p{tag}x{i}.com" for i in range(size)]
    engine = sa.create_engine(url)
    began = time.monotonic()
    with api(server) as client:
        for start in range(0, size, PROVISION_ORDER_SIZE):
            client.post("/order", json=order_body(names[start : start + PROVISION_ORDER_SIZE])).raise_for_status()
    accepted = time.monotonic() - began
    poll = 0.1 if size <= 10 else 0.5
    state = progress(engine, f"p{tag}x")
    while time.monotonic() - began < deadline and state["open"] > 0:
        time.sleep(poll)
        state = progress(engine, f"p{tag}x")
    elapsed = time.monotonic() - began
    reasons = failure_reasons(engine, f"p{tag}x") if state["failed"] else []
    engine.dispose()
    done_share = state["live_mailboxes"] / (size * MAILBOXES_PER_DOMAIN)
    finished = state["open"] == 0
    measured = elapsed if finished else (elapsed / done_share if done_share else math.inf)
    return {
        "domains": size,
        "measured_s": round(measured, 2),
        "extrapolated": not finished,
        "elapsed_s": round(elapsed, 2),
        "accepted_s": round(accepted, 2),
        "ready_domains": state["ready_domains"],
        "live_mailboxes": state["live_mailboxes"],
        "failed": state["failed"],
        "failure_reasons": reasons,
    }


def progress(engine: sa.Engine, prefix: str) -> dict:
    """Statuses of the domains named `prefix`... and their mailboxes (a --quick run's shared
    database holds the other benchmarks' orders too)."""
    like = {"names": f"{prefix}%"}
    with engine.connect() as conn:
        domains = dict(conn.execute(sa.text("SELECT status, count(*) FROM domains WHERE name LIKE :names GROUP BY status"), like).all())
        mailboxes = dict(
            conn.execute(
                sa.text("SELECT m.status, count(*) FROM mailboxes m JOIN domains d ON d.id = m.domain_id WHERE d.name LIKE :names GROUP BY m.status"), like
            ).all()
        )
    return {
        "ready_domains": domains.get("ready", 0),
        "live_mailboxes": mailboxes.get("live", 0),
        "failed": domains.get("failed", 0) + mailboxes.get("failed", 0) + domains.get("needs_action", 0) + mailboxes.get("needs_action", 0),
        "open": sum(n for s, n in mailboxes.items() if s == "ordered") + sum(n for s, n in domains.items() if s not in ("ready", "failed", "needs_action")),
    }


def failure_reasons(engine: sa.Engine, prefix: str) -> list[str]:
    """Why domains and mailboxes failed or wait for a person: the first few distinct reasons."""
    like = {"names": f"{prefix}%"}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT failure_reason FROM domains WHERE name LIKE :names AND failure_reason IS NOT NULL UNION "
                "SELECT m.failure_reason FROM mailboxes m JOIN domains d ON d.id = m.domain_id WHERE d.name LIKE :names AND m.failure_reason IS NOT NULL"
            ),
            like,
        ).all()
    return sorted({r[0] for r in rows})[:5]


def count_calls(work: Workspace, plan: Plan) -> dict[str, float]:
    """Provider calls per domain on each queue, counted in a small run at CALIBRATION_LATENCY_MS
    on a database where nothing else ran before (DBOS records each step's start and end in
    milliseconds on either backend)."""
    with work.serving(plan, "calibration", BACKEND, sandbox_latency_ms=CALIBRATION_LATENCY_MS) as (server, url):
        prepare_account(server, warm=False)
        done = provision(server, url, plan.calibration_domains, CALIBRATION_DEADLINE)
    return provider_calls(call_durations(url), CALIBRATION_LATENCY_MS, max(1.0, done["live_mailboxes"] / MAILBOXES_PER_DOMAIN))


def call_durations(url: str) -> dict[str, list[float]]:
    """Milliseconds from start to end of every finished provider step (each holds a slot of its
    role: provisioning/slots.py), per role, from DBOS's record of the workflows' steps."""
    from mailwright.provisioning import steps

    roles = {name: step.role for name, step in steps.PROVIDER_STEPS.items()}  # type: ignore[attr-defined]
    table = "operation_outputs" if url.startswith("sqlite") else "dbos.operation_outputs"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                f"SELECT function_name, started_at_epoch_ms, completed_at_epoch_ms FROM {table} "
                "WHERE completed_at_epoch_ms IS NOT NULL AND started_at_epoch_ms IS NOT NULL"
            )
        ).all()
    engine.dispose()
    durations: dict[str, list[float]] = defaultdict(list)
    for name, started, completed in rows:
        if name in roles:
            # A mailbox host's steps count against the bench's one mailbox provider.
            role = roles[name] if roles[name] != steps.MAILBOX_HOST else PROVIDER
            durations[role].append(float(completed - started))
    return dict(durations)


def provider_calls(durations: dict[str, list[float]], latency_ms: int, domains: float) -> dict[str, float]:
    """Provider calls per domain on each queue: each queued call's time in whole latencies (the
    orchestration around a call takes milliseconds). `domains`: how many were provisioned
    (mailboxes live / 3)."""
    calls = {q: sum(int(d // latency_ms) for d in ds) for q, ds in durations.items()}
    return {q: round(calls[q] / domains, 2) for q in sorted(calls)} | {
        "provider_steps": round(sum(len(ds) for ds in durations.values()) / domains, 2)
    }


def queue_limits() -> dict[str, tuple[int | None, float | None]]:
    """Each role's (concurrency, calls per second) as the bench's serve has them (defaults)."""
    from mailwright.provisioning.queues import parse_queue_limits

    limits = {}
    for role, q in parse_queue_limits("").items():
        concurrency = min(c for c in (q.concurrency, q.worker_concurrency) if c) if (q.concurrency or q.worker_concurrency) else None
        rate = q.limit / q.period if q.limit and q.period else None
        limits[role] = (concurrency, rate)
    return limits


def bound_seconds(calls: dict[str, float], domains: int, latency_ms: int, limits: dict[str, tuple[int | None, float | None]]) -> float:
    latency = latency_ms / 1000
    per_queue = {q: n for q, n in calls.items() if q != "provider_steps"}
    chain = sum(per_queue.values()) * latency
    bounds = [chain]
    for queue, n in per_queue.items():
        concurrency, rate = limits.get(queue, (None, None))
        if concurrency:
            bounds.append(domains * n * latency / concurrency)
        if rate:
            bounds.append(domains * n / rate)
    return max(bounds)


def row(size: int, latency: int, f: dict, floor_ms: float) -> Row:
    measured = f"{f['measured_s']:.1f} s" + (" (extrapolated)" if f["extrapolated"] else "")
    detail = f"{f['ready_domains']}/{size} domains ready, {f['live_mailboxes']} mailboxes live in {f['elapsed_s']:.0f} s"
    if f["failed"]:
        detail += f", {f['failed']} failed/parked"
    if latency:
        return Row(f"{size} domains, {latency} ms latency", measured, f"bound {f['bound_s']:.1f} s", f"{f['efficiency'] * 100:.1f} %", detail)
    per = f["overhead_per_domain_ms"]
    return Row(f"{size} domains, 0 ms latency", measured, f"{per:.0f} ms/domain", f"{per / floor_ms:.0f} floor requests/domain", detail)


def add_goals(result: Result) -> None:
    for key, f in result.figures.items():
        if not isinstance(f, dict) or "latency_ms" not in f:
            continue
        mark = " (extrapolated)" if f["extrapolated"] else ""
        if f["latency_ms"]:
            result.goals.append(Goal(f"{f['domains']} domains at {f['latency_ms']} ms: ≥ {EFFICIENCY_GOAL:.0%} of the bound", f"{f['efficiency']:.1%}{mark}", f["efficiency"] >= EFFICIENCY_GOAL))
        else:
            result.goals.append(Goal(f"{f['domains']} domains at 0 ms: ≤ {OVERHEAD_GOAL_MS:.0f} ms per domain", f"{f['overhead_per_domain_ms']:.0f} ms{mark}", f["overhead_per_domain_ms"] <= OVERHEAD_GOAL_MS))
            if f["domains"] == 1000:
                result.goals.append(Goal("1,000 domains × 3 mailboxes at 0 ms in < 2 min", f"{f['measured_s']:.0f} s{mark}", f["measured_s"] < THOUSAND_GOAL_S))
