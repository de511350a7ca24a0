"""Shared fixtures: a built app, a client, and requests signed exactly as Twilio signs them."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from ivr import create_app
from ivr.security import NumberHasher
from ivr.store import Store, create_engine, upgrade_schema
from tests import browser as browser_support

# Read before the environment is cleared for each test.
POSTGRES_URL = os.environ.get("IVR_TEST_DATABASE_URL", "")
TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://line.example.org"
CALLER = "+15551230001"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test depends on IVR_* variables of the shell it runs in."""
    for name in list(os.environ):
        if name.startswith("IVR_"):
            monkeypatch.delenv(name)


def reset_database(url: str) -> None:
    """Drop every table of the line, so a shared server starts each test empty."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        for table in (
            "alembic_version",
            "usage_events",
            "usage_counts",
            "unknown_words",
            "word_senders",
            "sms_conversations",
            "sms_opt_outs",
            "caller_preferences",
        ):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database: SQLite in a temporary folder, and PostgreSQL when CI provides one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("IVR_TEST_DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it")
    reset_database(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a freshly migrated database, without an app around it."""
    engine = create_engine(database_url)
    upgrade_schema(engine)
    yield Store(engine, NumberHasher(b"test-secret"))
    engine.dispose()


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    """Settings for a test app: its own instance folder and SQLite database."""
    return {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'ivr.sqlite3'}",
        # No recordings: the line speaks with <Say>, so tests can read every word it says.
        # tests/test_voice_audio.py plays the committed recordings instead.
        "AUDIO_DIR": str(tmp_path / "no-audio"),
    }


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    """The line, built by its factory."""
    app = create_app(config)
    app.testing = True
    yield app
    app.extensions["ivr"].store.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the line."""
    return app.test_client()


def signature(url: str, params: Mapping[str, str], token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of params to url."""
    return RequestValidator(token).compute_signature(url, params)


def signed_post(
    client: FlaskClient,
    path: str,
    data: Mapping[str, str] | None = None,
    base_url: str = PUBLIC_URL,
    **kwargs: Any,
) -> TestResponse:
    """POST form data to path, signed exactly as Twilio signs a webhook to base_url + path."""
    data = dict(data or {})
    headers = dict(kwargs.pop("headers", {}))
    headers["X-Twilio-Signature"] = signature(base_url + path, data)
    response = client.post(path, data=data, headers=headers, **kwargs)
    response.get_data()
    response.close()  # as a server does once the body is sent: work after the response runs
    app = getattr(client, "application", None)  # None: a real server, over HTTP
    if app is not None:
        # The writes the line queued land too, so what the test reads next includes them.
        assert app.extensions["ivr"].bookkeeping.flush()
    return response


def counted(store: Store, kind: str | None = None) -> list[dict[str, Any]]:
    """What the store has counted over the last 400 days, as the report reads it: a row for
    each channel, kind, language, topic, detail, place, reached and part, with its count."""
    today = datetime.now(UTC).date()
    _, overall = store.report_counts(today - timedelta(days=400), today)
    return [row for row in overall if kind is None or row["kind"] == kind]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A line under gunicorn for the module's tests (the browser tests)."""
    instance = tmp_path_factory.mktemp("line") / "instance"
    with browser_support.running_line(instance) as url:
        browser_support.INSTANCES[url] = instance
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright for the module's tests."""
    executable = browser_support.chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=browser_support.CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """In CI, where .ci/run installs everything, a skipped test is a failed one."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {report.longrepr}"
