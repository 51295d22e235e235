"""Cold start and memory of `serve`: time from the process's start until /readyz answers 200 on a
new SQLite database (migrations, demo account, worker), vs the floor's until it answers; resident
memory of serve and its worker process (PSS, summed) idle (2 s after ready) and at its peak
during intake at 32 clients and a large order."""

from __future__ import annotations

import time

from bench.load import Request, median
from bench.plan import Plan
from bench.report import Goal, Result, Row
from bench.stack import Server, Workspace, api, order_body, order_template, prepare_account, start_floor, start_serve, workspace

COLD_START_GOAL_S = 1.5
PEAK_RSS_GOAL_MB = 250.0
IDLE_SECONDS = 2.0
# serve is two processes (the API and its worker): their resident memory is summed as PSS, which
# counts the pages they share (libraries' code) once, as the machine holds them.
MEMORY = "PSS of serve and its worker"


def cold_starts(work: Workspace, plan: Plan) -> tuple[Server, Server, dict[str, list[float]]]:
    """Seconds to ready of `serve` and the floor over the rounds, each on a new database, and the
    last round's processes. --quick: those the run started anyway (a shared serve, the floor)."""
    if plan.quick:
        # The shared serve without a worker: the orders of the peak's load are not provisioned
        # meanwhile (CPU the benchmarks after it would miss).
        with work.serving(plan, "startup", "sqlite", worker=False) as (serve, _):
            floor = work.floor("sqlite")
        return serve, floor, {"serve": [round(serve.ready_seconds, 3)], "floor": [round(floor.ready_seconds, 3)]}
    starts: dict[str, list[float]] = {"serve": [], "floor": []}
    last: dict[str, Server] = {}
    for round_number in range(plan.rounds):
        for side in ["serve", "floor"] if round_number % 2 == 0 else ["floor", "serve"]:
            database = work.database("sqlite", side)
            server = start_serve(work, database, **plan.serve_settings) if side == "serve" else start_floor(work, database)
            starts[side].append(round(server.ready_seconds, 3))
            if round_number < plan.rounds - 1:
                server.stop()
            else:
                last[side] = server  # the last round's processes: their memory
    return last["serve"], last["floor"], starts


def run(plan: Plan) -> Result:
    result = Result("startup", "Cold start and resident memory of serve (SQLite, with its worker) vs the floor")
    work = workspace()
    serve, floor, starts = cold_starts(work, plan)
    clients = 32 if not plan.quick else 4
    try:
        if not plan.quick:  # --quick's serve has been ready for longer already
            time.sleep(IDLE_SECONDS)
        idle_rss, idle = serve.process.memory_kib()
        _, floor_idle = floor.process.memory_kib()
        prepare_account(serve)
        order = Request("POST", "/rest/v2/domains/order", order_template(), (("x-api-key", serve.api_key),), 202)
        with serve.process.peak_memory() as peaks:
            work.generator().run([serve.base_url], order, clients, plan.warmup, plan.duration)
            with api(serve) as client:
                client.post("/order", json=order_body([f"peak{i}.com" for i in range(plan.peak_bulk_domains)])).raise_for_status()
        peak, peak_rss = peaks["pss_kib"], peaks["rss_kib"]
    finally:
        if not plan.quick:
            serve.stop()
            floor.stop()
    start, floor_start = median(starts["serve"]), median(starts["floor"])
    idle_mb, peak_mb, floor_mb = idle / 1024, peak / 1024, floor_idle / 1024
    idle_rss_mb, peak_rss_mb = idle_rss / 1024, peak_rss / 1024
    result.figures = {
        "cold_start_s": round(start, 3),
        "floor_cold_start_s": round(floor_start, 3),
        "cold_start_ratio": round(start / floor_start, 2),
        "starts": starts,
        "memory_idle_mb": round(idle_mb, 1),
        "memory_peak_mb": round(peak_mb, 1),
        "floor_memory_idle_mb": round(floor_mb, 1),
        "rss_sum_idle_mb": round(idle_rss_mb, 1),
        "rss_sum_peak_mb": round(peak_rss_mb, 1),
    }
    result.rows = [
        Row("cold start (to /readyz)", f"{start:.2f} s", f"{floor_start:.2f} s", f"{start / floor_start:.1f}×", f"median of {plan.rounds}, new database each time"),
        Row("memory idle", f"{idle_mb:.0f} MB", f"{floor_mb:.0f} MB", f"{idle_mb / floor_mb:.1f}×", f"{IDLE_SECONDS:.0f} s after ready; {MEMORY}; RSS summed: {idle_rss_mb:.0f} MB"),
        Row("memory peak", f"{peak_mb:.0f} MB", "", "", f"during intake at {clients} clients and a {plan.peak_bulk_domains}-domain order, sampled every 0.1 s; RSS summed: {peak_rss_mb:.0f} MB"),
    ]
    result.goals = [
        Goal(f"cold start < {COLD_START_GOAL_S} s", f"{start:.2f} s", start < COLD_START_GOAL_S),
        Goal(f"resident memory < {PEAK_RSS_GOAL_MB:.0f} MB at peak (PSS of serve and its worker)", f"{peak_mb:.0f} MB", peak_mb < PEAK_RSS_GOAL_MB),
    ]
    return result
