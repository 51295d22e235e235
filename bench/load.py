"""The load generator: closed-loop clients (each sends its next request when the previous one is
answered), over kept-alive connections, in up to GENERATOR_PROCESSES processes with an asyncio
loop each, so that the generator is not the bottleneck (bench/README.md: "The load generator").

A measurement: all processes start together, run `warmup` seconds uncounted, then count the
answers that arrive within the next `duration` seconds; what is still in flight at the end is
cancelled. Every loop is bounded by that end and each request by REQUEST_TIMEOUT."""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import statistics
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import httpx

from bench import loopback, processes

GENERATOR_PROCESSES = 2
REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class Request:
    """One kind of request. `body` is JSON text in which every `{uid}` becomes a value unique to
    this request (e.g. a domain name's label)."""

    method: str
    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    expect: int = 200


@dataclass
class Sample:
    clients: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    generator_cpu: float = 0.0  # CPU seconds the generator used in the window

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.duration

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def generator_cores(self) -> float:
        return self.generator_cpu / self.duration

    def figures(self) -> dict[str, float]:
        return {
            "rate": round(self.rate, 2),
            "p50_ms": round(self.percentile(50) * 1000, 2),
            "p99_ms": round(self.percentile(99) * 1000, 2),
            "answers": len(self.latencies),
            "errors": self.errors,
            "generator_cores": round(self.generator_cores, 3),
        }


class Generator:
    """GENERATOR_PROCESSES processes, kept for a whole benchmark, each given its share of the
    clients through a pipe of its own; stopped by their pids at the end (or at exit)."""

    def __init__(self) -> None:
        self._workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self._cleanup = processes.on_exit(self.close)

    def _started(self) -> list[tuple[multiprocessing.process.BaseProcess, Connection]]:
        if not self._workers:
            context = multiprocessing.get_context("spawn")
            for _ in range(GENERATOR_PROCESSES):
                mine, theirs = context.Pipe()
                worker = context.Process(target=_serve_jobs, args=(theirs,), daemon=True)
                worker.start()
                self._workers.append((worker, mine))
            for _, pipe in self._workers:  # each has imported everything and waits for work
                pipe.send(None)
                pipe.recv()
        return self._workers

    def run(self, base_urls: list[str], request: Request, clients: int, warmup: float, duration: float) -> Sample:
        workers = self._started()[: min(GENERATOR_PROCESSES, clients)]
        tag = "b" + secrets.token_hex(4)
        start_at = time.monotonic() + 0.5  # every process is waiting by then
        for i, (_, pipe) in enumerate(workers):
            share = list(range(i, clients, len(workers)))
            pipe.send((base_urls, request, share, f"{tag}g{i}", start_at, warmup, duration))
        sample = Sample(clients, duration)
        for _, pipe in workers:
            if not pipe.poll(start_at + warmup + duration + REQUEST_TIMEOUT - time.monotonic()):
                raise RuntimeError("a load generator process did not report")
            latencies, errors, first_error, cpu = pipe.recv()
            sample.latencies += latencies
            sample.errors += errors
            sample.first_error = sample.first_error or first_error
            sample.generator_cpu += cpu
        return sample

    def close(self) -> None:
        for worker, pipe in self._workers:
            worker.terminate()  # SIGTERM to its pid
            worker.join(10)
            if worker.is_alive():
                worker.kill()
                worker.join(10)
            pipe.close()
        self._workers = []

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *_: object) -> None:
        processes.done(self._cleanup)


def _serve_jobs(pipe: Connection) -> None:
    while True:
        job = pipe.recv()
        pipe.send(asyncio.run(_warm()) if job is None else _generate(*job))


async def _warm() -> None:
    """What httpx imports and builds on first use (h11, anyio's backend), before
    any measurement."""
    async with loopback.async_client() as http:
        try:
            await http.get("http://127.0.0.1:9/", timeout=1.0)
        except httpx.HTTPError:
            pass


def _generate(
    base_urls: list[str], request: Request, client_numbers: list[int], tag: str, start_at: float, warmup: float, duration: float
) -> tuple[list[float], int, str, float]:
    return asyncio.run(_clients(base_urls, request, client_numbers, tag, start_at, warmup, duration))


async def _clients(
    base_urls: list[str], request: Request, client_numbers: list[int], tag: str, start_at: float, warmup: float, duration: float
) -> tuple[list[float], int, str, float]:
    window_start, window_end = start_at + warmup, start_at + warmup + duration
    latencies: list[float] = []
    errors = [0, ""]
    limits = httpx.Limits(max_connections=len(client_numbers), max_keepalive_connections=len(client_numbers))
    headers = dict(request.headers) | ({"content-type": "application/json"} if request.body is not None else {})

    async def client(number: int, http: httpx.AsyncClient) -> None:
        url = base_urls[number % len(base_urls)] + request.path
        sent = 0
        while time.monotonic() < window_end:
            body = request.body.replace("{uid}", f"{tag}c{number}n{sent}") if request.body is not None else None
            sent += 1
            began = time.monotonic()
            try:
                answer = await http.request(request.method, url, content=body, headers=headers)
                ok, why = answer.status_code == request.expect, f"{answer.status_code} {answer.text[:300]}"
            except httpx.HTTPError as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            ended = time.monotonic()
            if window_start <= ended <= window_end:
                if ok:
                    latencies.append(ended - began)
                else:
                    errors[0] += 1
                    errors[1] = errors[1] or why
            if not ok:
                await asyncio.sleep(0.01)  # a failing server is not hammered in a tight loop

    async with loopback.async_client(limits=limits, timeout=REQUEST_TIMEOUT) as http:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        tasks = [asyncio.create_task(client(n, http)) for n in client_numbers]
        await asyncio.sleep(max(0.0, window_start - time.monotonic()))
        cpu_start = time.process_time()
        await asyncio.wait(tasks, timeout=max(0.0, window_end - time.monotonic()))
        cpu = time.process_time() - cpu_start
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, int(errors[0]), str(errors[1]), cpu


def median(values: list[float]) -> float:
    values = [v for v in values if v == v]  # without NaN
    return statistics.median(values) if values else float("nan")
