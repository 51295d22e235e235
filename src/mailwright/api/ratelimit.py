"""A token bucket per API key: `per_minute` sustained, `burst` at once. Per process: with several
API processes each enforces it separately (documented in the README)."""

from __future__ import annotations

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
        """None if allowed; otherwise the seconds to wait (for Retry-After)."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 50_000:
                    self._forget_full(now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
