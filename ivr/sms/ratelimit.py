"""A per-number limit on replies, so that a flood of texts cannot run up the bill."""

from __future__ import annotations

import logging

from limits import parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ivr.config import SettingsError

log = logging.getLogger(__name__)


class RateLimit:
    """Allows each key (a hashed number) the configured number of replies per window."""

    def __init__(self, rates: str, storage_url: str) -> None:
        self._items = parse_many(rates)
        try:
            storage = storage_from_string(storage_url)
        except ConfigurationError:
            raise SettingsError(
                "IVR_RATELIMIT_STORAGE_URL needs the Redis client: pip install 'ivr[redis]'."
            ) from None
        self._limiter = MovingWindowRateLimiter(storage)

    def allow(self, key: str) -> bool:
        """Count one reply for key; False once any of its limits is used up."""
        try:
            return all(self._limiter.hit(item, "sms", key) for item in self._items)
        except Exception:  # any failure of the storage (Redis down), whatever its type
            # Open, not closed: an unreachable counter must not silence the line for everyone.
            log.exception("The SMS rate limiter failed; this message is answered unlimited.")
            return True
