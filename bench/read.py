"""The read path on SQLite: GET /providers, GET the domain list (1,000 domains), GET one mailbox,
against `serve --no-worker` (nothing provisions meanwhile), vs the floor's SELECT of as many rows
answered through a Pydantic model."""

from __future__ import annotations

from bench.compare import Side, alternate, at, compared
from bench.load import Request
from bench.plan import Plan
from bench.report import Goal, Result
from bench.stack import MAILBOXES_PER_DOMAIN, api, order_body, prepare_account, workspace

GOAL = 0.80
BACKEND = "sqlite"


def run(plan: Plan) -> Result:
    domains = 1000 if not plan.quick else 10
    result = Result("read", f"Read path (SQLite; serve without worker; {domains} domains) vs the floor (1 SELECT of as many rows)")
    result.config = {"domains": domains}
    work = workspace()
    generator = work.generator()
    with work.serving(plan, "read", BACKEND, worker=False) as (target_server, _):
        floor_server = work.floor(BACKEND)
        prepare_account(target_server, warm=False)  # the order below is the first
        names = [f"read{i}.com" for i in range(domains)]
        with api(target_server) as client:
            client.post("/order", json=order_body(names)).raise_for_status()
            counts = {
                "providers": len(client.get("/providers").json()["providers"]),
                "domains": len(client.get(f"{target_server.base_url}/rest/v2/domains").json()["domains"]),
                "mailbox": 1,
            }
            client.get(f"/{names[0]}/mailboxes/ann0@{names[0]}").raise_for_status()
        # --quick shares its serve with the other benchmarks: their orders are listed too.
        assert counts["domains"] == domains or (plan.quick and counts["domains"] > domains), counts
        headers = (("x-api-key", target_server.api_key),)
        paths = {
            "providers": "/rest/v2/domains/providers",
            "domains": "/rest/v2/domains",
            "mailbox": f"/rest/v2/domains/{names[0]}/mailboxes/ann0@{names[0]}",
        }
        for name, path in paths.items():
            target = Side("serve", [target_server], Request("GET", path, None, headers))
            floor = Side(f"floor {counts[name]} rows", [floor_server], Request("GET", f"/items?n={counts[name]}"))
            alternate(generator, target, floor, plan.clients, plan, plan.read_duration)
            figures, rows, notes = compared(target, floor, f"GET {name}")
            result.figures[name] = figures | {"rows": counts[name]}
            result.rows += rows
            result.notes += notes
            count, chosen = at(figures, 32)
            result.goals.append(Goal(f"GET {name}: ≥ {GOAL:.0%} of the floor at 32 clients", f"{chosen['ratio']:.1%} at {count} clients", chosen["ratio"] >= GOAL))
    result.notes.append(f"{domains} domains ordered with {MAILBOXES_PER_DOMAIN} mailboxes each, not provisioned (no worker): the answers list them as ordered.")
    return result
