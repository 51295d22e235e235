"""Target and baseline measured in turns: in each round, for each client count, both sides, the
side measured first alternating, the other side paused (SIGSTOP) meanwhile so that neither's
background work (a worker provisioning, a pool) runs during the other's measurement."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import httpx

from bench import loopback
from bench.load import Generator, Request, Sample, median
from bench.plan import Plan
from bench.report import Row
from bench.stack import Server


DRAIN_TIMEOUT_SECONDS = 120.0


@dataclass
class Side:
    label: str
    servers: list[Server]
    request: Request
    samples: dict[int, list[Sample]] = field(default_factory=dict)

    def pause(self) -> None:
        for server in self.servers:
            server.process.pause()

    def resume(self) -> None:
        for server in self.servers:
            server.process.resume()

    def drain(self) -> None:
        """Wait until each server has answered what the last measurement left it: the generator
        stops counting at the window's end, but a server still computes every request it had
        accepted (a sync endpoint's thread cannot be cancelled), and 128 clients' worth of GET
        /rest/v2/domains is seconds of work that the next measurement would wait behind. One
        more request of the same kind, queued behind them, answers once they are done."""
        body = self.request.body.replace("{uid}", f"drain{secrets.token_hex(6)}") if self.request.body is not None else None
        headers = dict(self.request.headers) | ({"content-type": "application/json"} if body is not None else {})
        with loopback.client(timeout=DRAIN_TIMEOUT_SECONDS) as http:
            for server in self.servers:
                try:
                    http.request(self.request.method, server.base_url + self.request.path, content=body, headers=headers)
                except httpx.HTTPError:
                    pass  # a server that cannot answer in that time is measured as it is


def alternate(generator: Generator, target: Side, baseline: Side, clients: tuple[int, ...], plan: Plan, duration: float) -> None:
    for round_number in range(plan.rounds):
        for i, count in enumerate(clients):
            order = (target, baseline) if (round_number + i) % 2 == 0 else (baseline, target)
            for side in order:
                other = baseline if side is target else target
                other.pause()
                try:
                    sample = generator.run([s.base_url for s in side.servers], side.request, count, plan.warmup, duration)
                    side.drain()
                finally:
                    other.resume()
                side.samples.setdefault(count, []).append(sample)


def summary(samples: list[Sample]) -> dict[str, float]:
    return {
        "rate": round(median([s.rate for s in samples]), 2),
        "p50_ms": round(median([s.percentile(50) * 1000 for s in samples]), 2),
        "p99_ms": round(median([s.percentile(99) * 1000 for s in samples]), 2),
        "errors": sum(s.errors for s in samples),
        "generator_cores": round(median([s.generator_cores for s in samples]), 3),
        "rounds": [s.figures() for s in samples],
    }


def ratio(target: list[Sample], baseline: list[Sample]) -> float:
    """Median over rounds of each round's target rate / baseline rate (measured side by side in time)."""
    return round(median([t.rate / b.rate if b.rate else float("nan") for t, b in zip(target, baseline)]), 4)


def describe(figures: dict[str, float], unit: str = "/s") -> str:
    return f"{figures['rate']:.1f}{unit} · p50 {figures['p50_ms']:.0f} ms · p99 {figures['p99_ms']:.0f} ms"


def compared(target: Side, baseline: Side, case: str) -> tuple[dict[int, dict], list[Row], list[str]]:
    """Figures per client count, the table's rows, and a note for every error answer seen."""
    figures: dict[int, dict] = {}
    rows: list[Row] = []
    notes: list[str] = []
    for count in target.samples:
        t, b = summary(target.samples[count]), summary(baseline.samples[count])
        r = ratio(target.samples[count], baseline.samples[count])
        figures[count] = {"target": t, "baseline": b, "ratio": r}
        rows.append(Row(f"{case}, {count} clients", describe(t), describe(b), f"{r * 100:.1f} %", f"{target.label} vs {baseline.label}"))
        for side in (target, baseline):
            errors = [s for s in side.samples[count] if s.errors]
            if errors:
                notes.append(f"{case}, {count} clients, {side.label}: {sum(s.errors for s in errors)} error answers, e.g. {errors[0].first_error[:200]}")
    return figures, rows, notes


def at(figures: dict[int, dict], preferred: int) -> tuple[int, dict]:
    """The figures at `preferred` clients, or at the largest count measured (--quick)."""
    count = preferred if preferred in figures else max(figures)
    return count, figures[count]
