"""Structured logs: one JSON object a line, with a request id, and never a phone number."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

# Anything that looks like a phone number: 7 or more digits, maybe with +, spaces, dots,
# dashes or brackets between them. Logs should never hold one; this is the last guard.
# Runs inside a word (a hex hash, an id) are left alone: they are not numbers anyone dials.
PHONE_NUMBER = re.compile(r"(?<![0-9A-Za-z])\+?\(?\d(?:[\s().-]*\d){6,}(?![0-9A-Za-z])")
REDACTED = "[number]"
_HANDLER_MARK = "_ivr_json_handler"


def redact(text: str) -> str:
    """Text with every phone-number-like run of digits replaced."""
    return PHONE_NUMBER.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
            entry["path"] = getattr(record, "path", "")
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


# The request whose work is running after its response, when Flask's context is gone.
_finished_request: ContextVar[tuple[str, str] | None] = ContextVar("ivr_request", default=None)


class RequestContext(logging.Filter):
    """Adds the current request's id and path to every record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "")
            record.path = request.path
        elif finished := _finished_request.get():
            record.request_id, record.path = finished
        return True


def keeping_request_id(job: Callable[[], None]) -> Callable[[], None]:
    """job, logging with the current request's id and path when it runs after the response."""
    finished = (g.get("request_id", ""), request.path)

    def run() -> None:
        token = _finished_request.set(finished)
        try:
            job()
        finally:
            _finished_request.reset(token)

    return run


def init_app(app: Flask) -> None:
    """Give each request an id and send the app's logs to stderr as JSON lines."""

    @app.before_request
    def _request_id() -> None:
        # Twilio's idempotency token ties a retried webhook to its first try.
        incoming = request.headers.get("I-Twilio-Idempotency-Token") or request.headers.get(
            "X-Request-Id", ""
        )
        g.request_id = incoming[:64] if incoming else uuid.uuid4().hex

    root = logging.getLogger()
    if any(getattr(handler, _HANDLER_MARK, False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
