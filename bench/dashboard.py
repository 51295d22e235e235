"""The web dashboard's pages on SQLite with an account of 1,000 domains × 3 mailboxes (ordered in
one order): each main customer page, that order's page, and the operator's, requested one after
another (1 client) with a signed-in session cookie, against `serve --no-worker` (nothing
provisions meanwhile), vs the floor's SELECT of as many rows as the page lists, answered through
a Pydantic model."""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass

from bench import loopback
from bench.compare import Side, alternate, at, compared
from bench.load import Request
from bench.plan import Plan
from bench.report import Goal, Result
from bench.stack import (
    MAILBOXES_PER_DOMAIN, MAILWRIGHT, Server, Workspace, api, mailwright_env, order_body, prepare_account, start_serve, workspace,
)
from mailwright.dashboard.sessions import COOKIE

GOAL_MS = 300.0
BACKEND = "sqlite"
CLIENTS = (1,)  # a person loading pages one after another
READY_DOMAIN = "dashboard-ready.com"  # provisioned: its page has DNS records and live mailboxes
SEARCH = "dash7"  # matches dash7, dash70-79, dash700-799 of 1,000 (more than a page)
# The seeding serve provisions one domain: quick polling so that it is ready in seconds (not measured).
SEED_SETTINGS = {"queue_poll_seconds": "0.05", "step_retry_seconds": "0.05", "dns_verify_retry_seconds": "0.05"}
READY_DEADLINE = 120.0  # seconds for that domain to be ready
PAGE_ROWS = 25  # the dashboard's page size


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    rows: int  # what the page lists: the floor SELECTs as many
    operator: bool = False


def pages(domains: int, order_id: str) -> list[Page]:
    mailbox = f"ann0@{READY_DOMAIN}"
    return [
        Page("overview", "/dashboard", 10),  # balance, the last 10 ledger entries, counts by status
        Page("domains", "/dashboard/domains", min(PAGE_ROWS, domains + 1)),
        Page("domains search", f"/dashboard/domains?q={SEARCH}", PAGE_ROWS if domains >= 100 else 1),
        Page("domain", f"/dashboard/domains/{READY_DOMAIN}", MAILBOXES_PER_DOMAIN + 5),  # its mailboxes and DNS records
        Page("mailbox", f"/dashboard/domains/{READY_DOMAIN}/mailboxes/{mailbox}", 1),
        Page("order", f"/dashboard/orders/{order_id}", PAGE_ROWS * 2 if domains >= PAGE_ROWS else domains * 2),  # the large order's first page
        Page("downloads", "/dashboard/downloads", 1),
        Page("subscriptions", "/dashboard/subscriptions", PAGE_ROWS),
        Page("webhooks", "/dashboard/webhooks", 1),
        Page("operator accounts", "/dashboard/operator/accounts", 1, operator=True),
        Page("operator work", "/dashboard/operator/work", 1, operator=True),
    ]


def run(plan: Plan) -> Result:
    domains = plan.dashboard_domains
    result = Result("dashboard", f"Dashboard pages (SQLite; serve without worker; {domains} domains × {MAILBOXES_PER_DOMAIN} mailboxes; 1 client) "
                    "vs the floor (1 SELECT of the page's rows)")
    result.config = {"domains": domains, "mailboxes_per_domain": MAILBOXES_PER_DOMAIN, "clients": CLIENTS[0]}
    work = workspace()
    target_server, database, order_id = seed(work, domains, plan)
    try:
        cookies = {False: session_cookie(target_server, target_server.api_key), True: session_cookie(target_server, operator_key(work, database))}
        check_pages(target_server, cookies, domains, order_id, shared=plan.quick)
        floor_server = work.floor(BACKEND)
        generator = work.generator()
        for shown in pages(domains, order_id):
            headers = (("cookie", f"{COOKIE}={cookies[shown.operator]}"),)
            target = Side("serve", [target_server], Request("GET", shown.path, None, headers))
            floor = Side(f"floor {shown.rows} rows", [floor_server], Request("GET", f"/items?n={shown.rows}"))
            alternate(generator, target, floor, CLIENTS, plan, plan.read_duration)
            figures, rows, notes = compared(target, floor, f"GET {shown.name}")
            result.figures[shown.name] = figures | {"path": shown.path, "rows": shown.rows}
            result.rows += rows
            result.notes += notes
    finally:
        if not plan.quick:  # --quick's serve is the run's shared one
            target_server.stop()
    slowest = max(result.figures, key=lambda name: at(result.figures[name], CLIENTS[0])[1]["target"]["p99_ms"])
    worst = at(result.figures[slowest], CLIENTS[0])[1]["target"]
    result.goals.append(Goal(f"dashboard pages < {GOAL_MS:.0f} ms with {domains} domains (p99 of the slowest page, 1 client)",
                             f"{slowest}: p50 {worst['p50_ms']:.0f} ms, p99 {worst['p99_ms']:.0f} ms", worst["p99_ms"] < GOAL_MS))
    result.notes.append(f"{domains} domains ordered with {MAILBOXES_PER_DOMAIN} mailboxes each, not provisioned (no worker); "
                        f"{READY_DOMAIN} (the domain and mailbox pages) provisioned on the sandbox before.")
    return result


def seed(work: Workspace, domains: int, plan: Plan) -> tuple[Server, str, str]:
    """The demo account with one provisioned domain (serve with its worker), then `serve
    --no-worker` on the same database and an order of `domains` domains that stays ordered: that
    server, its database and the order's id. (--quick: the run's shared serve with its worker at
    0 ms latency, provisioning's, whose settings poll quickly already.)"""
    seeding_settings = {"sandbox_latency_ms": 0} if plan.quick else SEED_SETTINGS
    with work.serving(plan, "dashboard", BACKEND, **seeding_settings) as (seeding, database):
        prepare_account(seeding, warm=False)
        with api(seeding) as client:
            placed = client.post("/order", json=order_body([READY_DOMAIN]))
            placed.raise_for_status()
            deadline = time.monotonic() + READY_DEADLINE
            while (status := client.get(f"/orders/{placed.json()['order_id']}").json()["status"]) == "processing":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{READY_DOMAIN} was not provisioned within {READY_DEADLINE:.0f} s")
                time.sleep(0.2)
            if status != "completed":
                raise RuntimeError(f"the order of {READY_DOMAIN} ended {status}")
    server = seeding
    if not plan.quick:
        server = start_serve(work, database, worker=False, **plan.serve_settings)
        server.api_key = seeding.api_key  # printed only at the database's first start
    with api(server) as client:
        placed = client.post("/order", json=order_body([f"dash{i}.com" for i in range(domains)]))
        placed.raise_for_status()
    return server, database, placed.json()["order_id"]


def operator_key(work: Workspace, database: str) -> str:
    """`mailwright operators create-key --json`, as an operator makes one."""
    env = mailwright_env(database, work.directory("operator-key"), secret_key=work.secret_key)
    done = subprocess.run([MAILWRIGHT, "operators", "create-key", "--json"], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"operators create-key failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)["operator_key"]


def session_cookie(server: Server, key: str) -> str:
    """Signs in through the sign-in form, as a browser does: the session cookie's value."""
    with loopback.client(base_url=server.base_url, timeout=60) as http:
        form = http.get("/dashboard/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise RuntimeError(f"no CSRF token in the sign-in form: {form.status_code} {form.text[:300]}")
        answer = http.post("/dashboard/sign-in", data={"key": key, "csrf_token": token.group(1)})
        if answer.status_code != 303 or COOKIE not in answer.cookies:
            raise RuntimeError(f"sign-in refused: {answer.status_code} {answer.text[:300]}")
        return answer.cookies[COOKIE]


def check_pages(server: Server, cookies: dict[bool, str], domains: int, order_id: str, *, shared: bool) -> None:
    """Each page once before measuring: it answers 200 with what it should list (and the first
    use of each is not measured). `shared`: --quick's serve, which lists the other benchmarks'
    domains too."""
    with loopback.client(base_url=server.base_url, timeout=60) as http:
        for shown in pages(domains, order_id):
            answer = http.get(shown.path, cookies={COOKIE: cookies[shown.operator]})
            if answer.status_code != 200:
                raise RuntimeError(f"GET {shown.path}: {answer.status_code} {answer.text[:300]}")
            listed = re.search(r"(\d+) domains, page 1 of", answer.text) if shown.name == "domains" else None
            if shown.name == "domains" and not (listed and (int(listed[1]) == domains + 1 or (shared and int(listed[1]) > domains))):
                raise RuntimeError(f"GET {shown.path} does not list {domains + 1} domains")
            if shown.name == "domain" and "ready" not in answer.text:
                raise RuntimeError(f"GET {shown.path}: {READY_DOMAIN} is not ready")
