"""The per-number rate limit: counts per key, several windows, and stays open when broken."""

from __future__ import annotations

import importlib.util

import pytest

from ivr.config import SettingsError
from ivr.sms.ratelimit import RateLimit


def test_each_key_gets_its_own_allowance() -> None:
    limit = RateLimit("3/minute", "memory://")
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")


def test_every_window_counts() -> None:
    limit = RateLimit("5/minute;2/day", "memory://")
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]


def test_a_broken_counter_lets_messages_through(caplog: pytest.LogCaptureFixture) -> None:
    limit = RateLimit("1/minute", "memory://")

    def unreachable(*_: object) -> bool:
        raise ConnectionError("Redis is down")

    limit._limiter.hit = unreachable  # type: ignore[method-assign]
    assert limit.allow("a") and limit.allow("a")
    assert "rate limiter failed" in caplog.text


@pytest.mark.skipif(
    importlib.util.find_spec("redis") is not None, reason="the Redis client is installed"
)
def test_redis_without_its_client_stops_start_up_with_one_sentence() -> None:
    with pytest.raises(SettingsError, match=r"^IVR_RATELIMIT_STORAGE_URL needs .*\.$"):
        RateLimit("10/minute", "redis://127.0.0.1:6379")
