"""Scale-out on PostgreSQL: 1, 2 and 4 API processes (`serve --no-worker`) with as many workers
(`mailwright worker`), all on this machine: provisioning time of the same orders, then intake at
32 clients spread over the API processes. On one machine the processes share its cores, so the
shape of the curve (each figure / the one-process figure) is what this shows, not gains."""

from __future__ import annotations

from bench import processes
from bench.compare import summary
from bench.load import Request
from bench.plan import Plan
from bench.provision import provision
from bench.report import Result, Row
from bench.stack import order_template, prepare_account, start_serve, start_worker, wait_serve, workspace

BACKEND = "postgresql"


def run(plan: Plan) -> Result:
    clients = 32 if not plan.quick else 4
    result = Result("scaleout", f"Scale-out on PostgreSQL (N API processes + N workers on one machine; {clients} clients; {plan.scaleout_domains} domains)")
    work = workspace()
    generator = work.generator()
    for n in plan.scaleout:
        url = work.database(BACKEND, f"scaleout{n}")
        first = start_serve(work, url, worker=False, **plan.serve_settings)
        others = [start_serve(work, url, worker=False, wait=False, **plan.serve_settings) for _ in range(n - 1)]
        workers = [start_worker(work, url, i, **plan.serve_settings) for i in range(n)]
        try:
            for server in others:
                wait_serve(server)
                server.api_key = first.api_key
            prepare_account(first, warm=False)
            provisioned = provision(first, url, plan.scaleout_domains, plan.scaleout_deadline)
            for server in [first, *others]:
                prepare_account(server)  # each process's first order, before intake is measured
            headers = (("x-api-key", first.api_key),)
            request = Request("POST", "/rest/v2/domains/order", order_template(), headers, 202)
            urls = [s.base_url for s in [first, *others]]
            samples = [generator.run(urls, request, clients, plan.warmup, plan.duration) for _ in range(max(1, plan.rounds - 1))]
            for worker in workers:
                if worker.popen.poll() is not None:
                    raise RuntimeError(f"{worker.name} exited:\n{worker.text[-2000:]}")
        finally:
            processes.stop_processes([*workers, *(s.process for s in [first, *others])])
        result.figures[n] = {"intake": summary(samples), "provision": provisioned}
    base = plan.scaleout[0]
    one = result.figures[base]
    for n, f in result.figures.items():
        intake, prov = f["intake"], f["provision"]
        extrapolated = " (extrapolated)" if prov["extrapolated"] else ""
        result.rows.append(
            Row(f"{n} API + {n} workers: intake", f"{intake['rate']:.1f}/s · p99 {intake['p99_ms']:.0f} ms", f"{base} + {base}", f"{ratio(intake['rate'], one['intake']['rate']):.2f}×", f"{intake['errors']} errors")
        )
        result.rows.append(
            Row(f"{n} API + {n} workers: provisioning", f"{prov['measured_s']:.1f} s{extrapolated}", f"{base} + {base}", f"{ratio(one['provision']['measured_s'], prov['measured_s']):.2f}×", f"{prov['ready_domains']} domains ready, speed-up vs 1 + 1")
        )
    result.notes.append("Ratios: intake rate / the 1 + 1 rate; provisioning speed-up = the 1 + 1 time / this time. Intake runs after provisioning (orders then wait for the workers).")
    return result


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
