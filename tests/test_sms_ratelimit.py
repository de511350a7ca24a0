"""The per-number rate limit: counts per key, several windows, and stays open when broken."""

from __future__ import annotations

import sys

import pytest
from limits import parse

from ivr.config import SettingsError
from ivr.sms.ratelimit import ProcessWindows, RateLimit


def test_each_key_gets_its_own_allowance() -> None:
    limit = RateLimit("3/minute", "memory://")
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")


def test_every_window_counts() -> None:
    limit = RateLimit("5/minute;2/day", "memory://")
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]


class Unreachable:
    """A counter whose storage does not answer."""

    def hit(self, *_: object) -> bool:
        raise ConnectionError("Redis is down")


def test_a_broken_counter_lets_messages_through(caplog: pytest.LogCaptureFixture) -> None:
    limit = RateLimit("1/minute", "memory://", limiter=Unreachable())
    assert limit.allow("a") and limit.allow("a") and limit.allow("b")
    assert caplog.text.count("rate limiter failed") == 1  # once an outage, not once a message


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_moving_window_lets_each_hit_go_once_it_is_older_than_the_window() -> None:
    clock = Clock()
    windows = ProcessWindows(clock)
    per_minute = parse("2/minute")
    allowed = []
    for seconds in (0, 30, 40, 60.5, 61, 90.5):
        clock.now = 1000 + seconds
        allowed.append(windows.hit(per_minute, "sms", "a"))
    # At 40 s the hits at 0 and 30 s count; at 61 s those at 30 and 60.5 s.
    assert allowed == [True, True, False, True, False, True]


def test_keys_whose_windows_have_passed_are_swept() -> None:
    clock = Clock()
    windows = ProcessWindows(clock, sweep_every=3)
    per_minute, per_day = parse("5/minute"), parse("5/day")
    windows.hit(per_minute, "sms", "quiet")
    windows.hit(per_day, "sms", "daily")
    clock.now += 61
    windows.hit(per_minute, "sms", "busy")  # the third hit sweeps
    assert windows.keys() == {per_day.key_for("sms", "daily"), per_minute.key_for("sms", "busy")}


def test_redis_without_its_client_stops_start_up_with_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if `ivr[redis]` were not installed
    with pytest.raises(SettingsError, match=r"^IVR_RATELIMIT_STORAGE_URL needs .*\.$"):
        RateLimit("10/minute", "redis://127.0.0.1:6379")
