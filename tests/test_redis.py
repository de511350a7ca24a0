"""The SMS rate limit on a real Redis: shared between processes, windows that pass, and open
when Redis stops (the line keeps answering, and says so once in its log, not per message).

.ci/run starts Debian's redis-server and sets IVR_TEST_REDIS_URL; without it each test starts
a throwaway redis-server of its own, and says why it skipped when there is none (in CI it fails).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr import create_app
from ivr.cluster import Missing, Redis, flush_redis, redis_server
from ivr.sms.ratelimit import RateLimit

from .conftest import signed_post
from .production import sms_form

# Read before the environment is cleared for each test.
SHARED_REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "")
LOG_LINE = "The SMS rate limiter failed"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Redis]:
    """A redis-server of this test's own, which it may stop and start."""
    try:
        with redis_server(tmp_path) as redis:
            yield redis
    except Missing as missing:
        pytest.skip(str(missing))


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    """The Redis .ci/run started (emptied first), or else a throwaway one."""
    if SHARED_REDIS_URL:
        flush_redis(SHARED_REDIS_URL)
        return SHARED_REDIS_URL
    redis: Redis = request.getfixturevalue("own_redis")
    return redis.url


COUNT_IN_A_PROCESS = """
import sys
from ivr.sms.ratelimit import RateLimit
limit = RateLimit("5/minute", sys.argv[1])
sys.stdin.readline()  # start together
print(sum(limit.allow("one-number") for _ in range(5)))
"""


def test_the_limit_holds_across_two_processes(redis_url: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, redis_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    allowed = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert sum(allowed) == 5, allowed  # ten tries between them; five replies in all
    assert RateLimit("5/minute", redis_url).allow("another-number")


def test_a_window_lets_replies_go_again_once_it_has_passed(redis_url: str) -> None:
    limit = RateLimit("2/second", redis_url)
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]
    time.sleep(1.1)
    assert limit.allow("a")


def test_the_first_refusal_of_a_window_is_told_once_across_processes(redis_url: str) -> None:
    first, second = RateLimit("1/minute", redis_url), RateLimit("1/minute", redis_url)
    assert first.verdict("a").allowed
    refusals = [second.verdict("a"), first.verdict("a"), second.verdict("a")]
    assert [v.first_refusal for v in refusals] == [True, False, False]
    assert not any(v.allowed for v in refusals)


def _app(tmp_path: Path, redis: Redis) -> Any:
    app = create_app(
        {
            "TWILIO_AUTH_TOKEN": "test-auth-token-0123456789abcdef",
            "PUBLIC_URL": "https://line.example.org",
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "AUDIO_DIR": str(tmp_path / "no-audio"),
            "SMS_RATE_LIMIT": "2/minute",
            "RATELIMIT_STORAGE_URL": redis.url,
        }
    )
    app.testing = True
    return app


def test_with_redis_stopped_the_line_answers_and_logs_it_once(
    own_redis: Redis, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(tmp_path, own_redis)
    client = app.test_client()

    def replies(number: str, times: int) -> list[int]:
        sent = []
        for n in range(times):
            response = signed_post(client, "/sms", sms_form(number, "SYMPTOMS", f"SM{number}{n}"))
            assert response.status_code == 200
            sent.append(response.get_data(as_text=True).count("<Message>"))
        return sent

    # Redis up: two replies, one notice, then nothing.
    assert replies("+15557770001", 4) == [1, 1, 1, 0]
    own_redis.stop()
    with caplog.at_level("INFO"):
        # Redis down: the limit is open, for a number over it as for a new one.
        assert replies("+15557770001", 5) == [1] * 5
        assert replies("+15557770002", 5) == [1] * 5
    failures = [r for r in caplog.records if r.getMessage().startswith(LOG_LINE)]
    assert len(failures) == 1, [r.getMessage() for r in caplog.records]
    assert failures[0].levelname == "ERROR"

    caplog.clear()
    own_redis.start()  # empty again: this Redis keeps nothing on disk
    with caplog.at_level("INFO"):
        assert replies("+15557770001", 4) == [1, 1, 1, 0]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("answers again" in m for m in messages) == 1, messages
    assert not any(m.startswith(LOG_LINE) for m in messages)
    app.extensions["ivr"].store.engine.dispose()
