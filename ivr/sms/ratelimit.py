"""A per-number limit on replies, so that a flood of texts cannot run up the bill."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ivr.config import SettingsError

log = logging.getLogger(__name__)
IN_PROCESS = "memory://"
# Keys whose windows have all passed are dropped once every this many hits.
SWEEP_EVERY = 1000
# A Redis that does not answer costs a webhook at most this long per try (connect, then each
# command), so the line fails open well inside Twilio's 15 seconds.
REDIS_TIMEOUT_SECONDS = 0.25
_REDIS_SCHEMES = ("redis://", "rediss://")


class Limiter(Protocol):
    """What counts the hits: limits' moving-window strategy, or ProcessWindows."""

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count a hit of item for identifiers; False over the limit."""
        ...


@dataclass(frozen=True)
class Verdict:
    """Whether a reply may go; if not, whether it is the first refusal of its window."""

    allowed: bool
    first_refusal: bool = False  # the texter is told once when to try again, then nothing
    window_seconds: int = 0  # the window of the limit that refused


class RateLimit:
    """Allows each key (a hashed number) the configured number of replies per window."""

    def __init__(
        self,
        rates: str,
        storage_url: str,
        limiter: Limiter | None = None,
        outage: Outage | None = None,
    ) -> None:
        """Count rates (such as "10/minute;100/day") in storage_url, or else in limiter.

        Limiters on one storage share an outage, so that its failure is logged once.
        """
        self._items = parse_many(rates)
        self._outage = outage or Outage()
        self._limiter: Limiter
        if limiter is not None:
            self._limiter = limiter
            return
        if storage_url == IN_PROCESS:
            self._limiter = ProcessWindows()
            return
        # Timeouts where the scheme takes them (sentinel and cluster URLs carry their own).
        options = (
            {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            }
            if storage_url.startswith(_REDIS_SCHEMES)
            else {}
        )
        try:
            storage = storage_from_string(storage_url, **options)
        except ConfigurationError:
            raise SettingsError(
                "IVR_RATELIMIT_STORAGE_URL needs the Redis client: pip install 'ivr[redis]'."
            ) from None
        self._limiter = MovingWindowRateLimiter(storage)

    def allow(self, key: str) -> bool:
        """Count one reply for key; False once any of its limits is used up."""
        return self.verdict(key).allowed

    def verdict(self, key: str) -> Verdict:
        """Count one reply for key: allowed, or refused (the first time in a window, or again)."""
        try:
            for item in self._items:
                if not self._limiter.hit(item, "sms", key):
                    # One notice per window of the limit that refused: a counter of its own.
                    notice = type(item)(1, item.multiples)
                    first = self._limiter.hit(notice, "sms-notice", key)
                    self._outage.over()
                    return Verdict(False, first, item.get_expiry())
        except Exception:  # any failure of the storage (Redis down), whatever its type
            # Open, not closed: an unreachable counter must not silence the line for everyone.
            self._outage.began()
            return Verdict(True)
        self._outage.over()
        return Verdict(True)


class Outage:
    """Whether a storage is failing, so that an outage is logged once, not once per message.

    The reply limit and the paging limit of a worker share one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failing = False

    def began(self) -> None:
        """The storage failed: log it (with the error) if it was answering until now."""
        with self._lock:
            if self.failing:
                return
            self.failing = True
        log.exception(
            "The SMS rate limiter failed; messages are answered unlimited until it answers again."
        )

    def over(self) -> None:
        """The storage answered: log it once if it had been failing."""
        if not self.failing:  # the common case, without the lock
            return
        with self._lock:
            if not self.failing:
                return
            self.failing = False
        log.warning("The SMS rate limiter answers again; messages are limited again.")


class ProcessWindows:
    """Moving windows counted in this process: limits' moving window, without its timer thread.

    limits' own memory storage starts a thread to expire old hits on nearly every hit, and that
    thread goes through every key it holds; under load it cost more CPU than everything else a
    text message needs. Here a key's old hits are dropped when the key is counted, and keys
    whose windows have all passed in a sweep every sweep_every hits (SWEEP_EVERY unless told).
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sweep_every: int = SWEEP_EVERY
    ) -> None:
        self._clock = clock
        self._sweep_every = sweep_every
        self._hits: dict[str, tuple[float, deque[float]]] = {}  # key: (window, hit times)
        self._lock = threading.Lock()
        self._since_sweep = 0

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count a hit of item for identifiers, as limits' strategies do; False over the limit."""
        key = item.key_for(*identifiers)
        window = float(item.get_expiry())
        now = self._clock()
        with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= self._sweep_every:
                self._sweep(now)
            hits = self._hits.setdefault(key, (window, deque()))[1]
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= item.amount:
                return False
            hits.append(now)
            return True

    def keys(self) -> frozenset[str]:
        """The keys whose hits are held (a key swept away is gone until it is counted again)."""
        with self._lock:
            return frozenset(self._hits)

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        quiet = [
            key
            for key, (window, hits) in self._hits.items()
            if not hits or hits[-1] <= now - window
        ]
        for key in quiet:
            del self._hits[key]
