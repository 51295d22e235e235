"""Token buckets: one per API key (`per_minute` sustained, `burst` at once), and one per client
address for failed authentication. Per process: with several API processes each enforces them
separately (documented in the README)."""

from __future__ import annotations

import ipaddress
import math
import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int | None:
        """Takes a token: None if there was one; otherwise the seconds to wait (for Retry-After)."""
        now = time.monotonic()
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 50_000:
                    self._forget_full(now)
                return None
            self._buckets[key] = (tokens, now)
            return self._wait(tokens)

    def retry_after(self, key: str) -> int | None:
        """As `acquire`, without taking the token: None while one is left."""
        now = time.monotonic()
        with self._lock:
            tokens = self._tokens(key, now)
            return None if tokens >= 1 else self._wait(tokens)

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}


def client_network(host: str | None) -> str:
    """Whom failed authentications are counted against: an IPv4 address, or an IPv6 address's /64
    (one subscriber gets a whole /64, so counting single IPv6 addresses would count nothing)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
