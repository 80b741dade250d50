"""API keys and the per-caller rate limit.

Usage::

    keys = KeyRing(read_keys=["r1"], admin_keys=["a1"])
    keys.role("a1")                   # "admin"  (admin keys are read keys too)
    limiter = RateLimiter(per_minute=30)
    limiter.acquire("key:1a2b")       # 0.0 when allowed, else seconds to wait
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["anonymous", "read", "admin"]

SECONDS_PER_MINUTE = 60.0
# Forget full (idle) buckets once this many callers are tracked, so memory stays bounded.
_MAX_TRACKED_CALLERS = 10_000


def _any_matches(candidate: str, keys: Sequence[str]) -> bool:
    """Constant-time over every key: no early exit that would tell which key was close."""
    found = False
    encoded = candidate.encode()
    for key in keys:
        found |= hmac.compare_digest(encoded, key.encode())
    return found


class KeyRing:
    """Read and admin keys; empty on both sides means the API is open."""

    def __init__(self, read_keys: Sequence[str], admin_keys: Sequence[str]) -> None:
        self._read = [key for key in read_keys if key]
        self._admin = [key for key in admin_keys if key]

    @property
    def enabled(self) -> bool:
        return bool(self._read or self._admin)

    def role(self, key: str | None) -> Role | None:
        """``None`` for a missing or unknown key when auth is on; ``anonymous`` when it is off."""
        if not self.enabled:
            return "anonymous"
        if not key:
            return None
        is_admin = _any_matches(key, self._admin)
        is_reader = _any_matches(key, self._read)
        if is_admin:
            return "admin"
        return "read" if is_reader else None


def key_fingerprint(key: str) -> str:
    """A short stable id for a key, safe to keep in memory and metrics (never the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class Caller:
    """Who is calling: the role and the identity the rate limit counts against."""

    role: Role
    identity: str

    @property
    def is_admin(self) -> bool:
        # Without keys configured there is nobody to tell apart: everyone may administer.
        return self.role in ("admin", "anonymous")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token bucket per caller: a burst of ``per_minute`` requests, then one every 60/N seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be >= 1")
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / SECONDS_PER_MINUTE
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, identity: str) -> float:
        """Take one request from ``identity``'s bucket: 0.0 if allowed, else seconds until allowed."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(identity)
            if bucket is None:
                if len(self._buckets) >= _MAX_TRACKED_CALLERS:
                    self._forget_idle(now)
                bucket = self._buckets[identity] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.refill_per_second)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.refill_per_second

    @staticmethod
    def retry_after_header(wait_seconds: float) -> str:
        """``Retry-After`` wants whole seconds; round up so a client that obeys it succeeds."""
        return str(max(1, math.ceil(wait_seconds)))

    def _forget_idle(self, now: float) -> None:
        refill_time = self.capacity / self.refill_per_second
        self._buckets = {
            identity: bucket for identity, bucket in self._buckets.items() if now - bucket.updated < refill_time
        }


#: Paths that never need a key: liveness and the API's own documentation.
PUBLIC_PATHS = frozenset({"/healthz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})


@dataclass(frozen=True)
class Refusal:
    """An answer the gate gives instead of passing a request on."""

    status: int
    detail: str
    headers: dict[str, str]


class AuthGate:
    """Checks the key before anything reads the body, and rate limits failed attempts per address.

    Runs in the outermost middleware, so a malformed body, a wrong Content-Type or a trailing-slash
    redirect never answers an unauthenticated caller before the 401. Failures count against the
    client address (``failures``); a caller over that limit gets 429 until the bucket refills, but a
    right key from the same address is never refused (a flood cannot lock the owner out).
    """

    def __init__(self, keys: KeyRing, failures: RateLimiter) -> None:
        self.keys = keys
        self.failures = failures

    def check(self, method: str, path: str, key: str | None, client: str) -> Refusal | None:
        if not self.keys.enabled or method == "OPTIONS" or path in PUBLIC_PATHS:
            return None
        if self.keys.role(key) is not None:
            return None
        wait = self.failures.acquire(f"ip:{client}")
        if wait > 0:
            return Refusal(
                429,
                "Too many requests without a valid X-API-Key from this address; see Retry-After.",
                {"Retry-After": RateLimiter.retry_after_header(wait)},
            )
        return Refusal(401, "A valid X-API-Key header is required.", {"WWW-Authenticate": "ApiKey"})
