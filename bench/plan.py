"""How long and how often each benchmark measures: the full recording, or --quick (seconds in
all, for the smoke test: the figures then mean nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Plan:
    quick: bool
    rounds: int  # target and baseline alternated this many times; medians reported
    backends: tuple[str, ...]  # of intake and bulk
    clients: tuple[int, ...]  # concurrent clients for intake and the read path
    warmup: float  # seconds before counting, per measurement
    duration: float  # seconds counted, per measurement
    read_duration: float
    bulk_sizes: tuple[int, ...]  # domains per order
    provision_sizes: tuple[int, ...]  # domains, in orders of PROVISION_ORDER_SIZE
    provision_latencies_ms: tuple[int, ...]
    provision_deadline: dict[int, float]  # seconds allowed per size; past it, extrapolated
    calibration_domains: int  # provisioned at 200 ms to count the provider calls per domain
    scaleout: tuple[int, ...]  # API processes and workers
    scaleout_domains: int
    scaleout_deadline: float
    peak_bulk_domains: int  # the large order of the RSS peak measurement
    serve_settings: dict[str, str] = field(default_factory=dict)  # MAILWRIGHT_* for every process
    dashboard_domains: int = 1000  # the account whose dashboard pages are loaded


FULL = Plan(
    quick=False,
    rounds=3,
    backends=("sqlite", "postgresql"),
    clients=(1, 8, 32, 128),
    warmup=1.0,
    duration=3.0,
    read_duration=2.0,
    bulk_sizes=(50, 1000, 5000),
    provision_sizes=(100, 1000),
    provision_latencies_ms=(0, 200),
    provision_deadline={100: 90.0, 1000: 60.0},
    calibration_domains=3,
    scaleout=(1, 2, 4),
    scaleout_domains=30,
    scaleout_deadline=30.0,
    peak_bulk_domains=1000,
)

QUICK = Plan(
    quick=True,
    rounds=1,
    backends=("sqlite",),  # PostgreSQL: scaleout's
    clients=(4,),
    warmup=0.05,
    duration=0.3,
    read_duration=0.3,  # a dashboard page answers at least once in it on a loaded machine
    bulk_sizes=(2, 10),
    provision_sizes=(2,),
    provision_latencies_ms=(0, 200),
    provision_deadline={2: 30.0},
    calibration_domains=1,
    scaleout=(1,),  # one API process and one worker, on PostgreSQL: two process starts, not four
    scaleout_domains=2,
    scaleout_deadline=30.0,
    peak_bulk_domains=10,
    # Quick polling and retries: the provisioning runs end in seconds. Queues polled every 0.25 s,
    # not 0.05 s as the tests poll them: as fast to provision 2 domains (a poll every 50 ms
    # competes with the work for SQLite's write lock) and a quarter of the CPU while idle.
    serve_settings={"queue_poll_seconds": "0.25", "step_retry_seconds": "0.05", "dns_verify_retry_seconds": "0.05"},
    dashboard_domains=10,
)

PROVISION_ORDER_SIZE = 10


def with_rounds(plan: Plan, rounds: int | None) -> Plan:
    from dataclasses import replace

    return replace(plan, rounds=rounds) if rounds else plan
