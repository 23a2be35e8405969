"""Per-key rate limits: a token bucket per API key, refilled continuously at the key's requests per minute.

A bucket holds at most ``rate_limit`` tokens (a full minute's worth, so a quiet key may burst) and gains
``rate_limit / 60`` tokens per second. Each request takes one token; an empty bucket answers with the seconds
until the next token, which becomes the ``Retry-After`` of the 429. Buckets live in the server process: with
``--workers N`` each worker enforces the limit on its own share of the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class TokenBucket:
    """One key's bucket."""

    rate_per_minute: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token; return 0.0 when granted, else the seconds until a token is available."""
        per_second = self.rate_per_minute / 60.0
        self.tokens = min(float(self.rate_per_minute), self.tokens + (now - self.updated) * per_second)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / per_second


class RateLimiter:
    """Token buckets of every key seen by this process (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start with no buckets; ``clock`` returns seconds (monotonic)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, key_id: str, rate_per_minute: int) -> float:
        """Count one request of ``key_id``; return 0.0 when allowed, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None or bucket.rate_per_minute != rate_per_minute:
                bucket = TokenBucket(rate_per_minute, float(rate_per_minute), now)
                self._buckets[key_id] = bucket
            return bucket.take(now)

    @staticmethod
    def retry_after(wait_seconds: float) -> str:
        """The ``Retry-After`` header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait_seconds)))
