"""Logs are JSON lines with a request id, and a phone number never reaches them."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from ivr import create_app
from ivr.logs import JsonFormatter, RequestContext, redact
from ivr.voice.codec import to_query
from ivr.voice.protocol import CallState, Place

from .conftest import CALLER, TOKEN, signed_post
from .twilio_fakes import ACCOUNT_SID, messages_api


@pytest.mark.parametrize(
    "number",
    [
        "+15551230001",
        "15551230001",
        "(555) 123-0001",
        "555-123-0001",
        "555.123.0001",
        "+52 55 1234 5678",
    ],
)
def test_numbers_are_redacted(number: str) -> None:
    assert redact(f"texted from {number} today") == "texted from [number] today"


def test_short_numbers_stay() -> None:
    assert redact("part 3 of 9, 95s, topic 12") == "part 3 of 9, 95s, topic 12"


def test_records_are_json_with_the_request_id(app: Flask) -> None:
    formatter, context = JsonFormatter(), RequestContext()
    with app.test_request_context("/healthz", headers={"I-Twilio-Idempotency-Token": "abc-123"}):
        app.preprocess_request()
        record = logging.LogRecord(
            "ivr.test", logging.WARNING, __file__, 1, "from %s", (CALLER,), None
        )
        context.filter(record)
        entry = json.loads(formatter.format(record))
    assert entry["request_id"] == "abc-123" and entry["path"] == "/healthz"
    assert entry["message"] == "from [number]" and entry["level"] == "WARNING"


def test_an_exception_is_logged_without_numbers() -> None:
    try:
        raise ValueError(f"bad caller {CALLER}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert CALLER not in json.dumps(entry) and "[number]" in entry["error"]


def test_oversized_request_is_refused_signed_or_not(app: Flask) -> None:
    form = {"Body": "x" * (70 * 1024), "From": CALLER}
    assert app.test_client().post("/sms", data=form).status_code == 413
    assert signed_post(app.test_client(), "/voice", form).status_code == 413


def test_a_number_hash_in_a_log_line_is_kept_whole() -> None:
    from ivr.security import NumberHasher

    for number in (f"+1555{n:07d}" for n in range(200)):
        key = NumberHasher(b"secret")(number)
        record = logging.LogRecord("x", logging.CRITICAL, __file__, 1, "hash %s.", (key,), None)
        assert json.loads(JsonFormatter().format(record))["message"] == f"hash {key}."


def test_work_after_the_response_logs_with_the_request_id(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = kept.append  # type: ignore[method-assign]
    handler.addFilter(RequestContext())
    logging.getLogger("ivr").addHandler(handler)

    def database_down(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database down")

    # "Text me this": the text goes out during the request, the note that MORE continues it
    # is written after the response.
    texting = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_FROM": "+15550001111"}
    answer = to_query(CallState(lang="en", at=Place.ANSWER, topic="symptoms"))
    try:
        with messages_api(TOKEN) as api:
            app = create_app(config | texting | {"TWILIO_API_URL": api.url})
            monkeypatch.setattr(app.extensions["ivr"].store, "save_conversation", database_down)
            response = signed_post(
                app.test_client(),
                "/voice?" + urlencode(answer),
                {"From": CALLER, "CallSid": "CA1", "Digits": "3"},
                headers={"I-Twilio-Idempotency-Token": "abc-123"},
            )
        assert len(api.sent) == 1 and response.status_code == 200
    finally:
        logging.getLogger("ivr").removeHandler(handler)
    failed = [r for r in kept if r.getMessage() == "work after the response failed"]
    assert len(failed) == 1
    assert (getattr(failed[0], "request_id", None), getattr(failed[0], "path", None)) == (
        "abc-123",
        "/voice",
    )
