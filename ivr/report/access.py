"""Who may read /report: HTTP basic auth against IVR_REPORT_PASSWORD, with a lockout.

The password is compared in constant time (hmac.compare_digest of two SHA-256 digests, so
not even its length shows). An address that fails MAX_FAILURES times within LOCKOUT_SECONDS is
refused, right password or not, until LOCKOUT_SECONDS after its last failure. Each worker
counts in its own memory: with W workers an address gets at most W * MAX_FAILURES tries.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
# At most this many addresses are remembered; the oldest failures are forgotten first.
MAX_ADDRESSES = 10_000


class ReportAccess:
    """Checks the report's password and locks out an address that keeps getting it wrong."""

    def __init__(self, password: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._digest = hashlib.sha256(password.encode()).digest()
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # address: (failures, last at)
        self._lock = threading.Lock()

    def locked_out(self, address: str) -> float:
        """Seconds until address may try again; 0 when it may now."""
        with self._lock:
            failures, last = self._failures.get(address, (0, 0.0))
            wait = last + LOCKOUT_SECONDS - self._clock()
            if wait <= 0:
                self._failures.pop(address, None)
                return 0.0
            return wait if failures >= MAX_FAILURES else 0.0

    def check(self, address: str, password: str) -> bool:
        """True for the right password; a wrong one counts against address."""
        given = hashlib.sha256(password.encode()).digest()
        if hmac.compare_digest(given, self._digest):
            with self._lock:
                self._failures.pop(address, None)
            return True
        with self._lock:
            failures, _ = self._failures.get(address, (0, 0.0))
            if len(self._failures) >= MAX_ADDRESSES and address not in self._failures:
                oldest = min(self._failures, key=lambda a: self._failures[a][1])
                del self._failures[oldest]
            self._failures[address] = (failures + 1, self._clock())
        return False
