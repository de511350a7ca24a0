"""Arbitrary forms and states, posted to every webhook taken from the URL map: never a 500."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import create_app
from ivr.security import WEBHOOK_PREFIXES

from .conftest import PUBLIC_URL, TOKEN, signature

TWILIO_FIELDS = [
    "From",
    "To",
    "Body",
    "Digits",
    "SpeechResult",
    "Confidence",
    "CallSid",
    "MessageSid",
    "CallStatus",
    "CallDuration",
    "DialCallStatus",
    "NumMedia",
    "AccountSid",
    "ErrorCode",
]
STATE_FIELDS = [
    "lang",
    "at",
    "menu",
    "topic",
    "part",
    "page",
    "cancer",
    "slow",
    "quiet",
    "texts",
    "tips",
    "timeout",
    "dial",
    "err",
]
SOME_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "en",
            "es",
            "1",
            "0",
            "#",
            "*",
            "menu",
            "answer",
            "symptoms",
            "STOP",
            "MORE",
            "completed",
            "busy",
            "+15551230001",
            "breast",
            "sites",
            "cancers",
        ]
    ),
)
FORMS = st.dictionaries(
    st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(max_size=12)), SOME_VALUES, max_size=8
)
QUERIES = st.dictionaries(st.sampled_from(STATE_FIELDS), SOME_VALUES, max_size=6)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One line for every example (hypothesis runs many examples per test)."""
    directory = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("IVR_")]:
            patch.delenv(name)
        line = create_app(
            {
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_URL": PUBLIC_URL,
                "INSTANCE_DIR": str(directory),
                "AUDIO_DIR": str(directory / "audio"),
            }
        )
    yield line
    line.extensions["ivr"].store.engine.dispose()


def webhook_routes(app: Flask) -> list[str]:
    """Every POST route under /voice and /sms, from the app's URL map."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(WEBHOOK_PREFIXES) and "POST" in (rule.methods or ())
    )


# The routes are drawn by index, so the strategy needs no app at import time.
ROUTE_INDEX = st.integers(min_value=0, max_value=1_000)


def check(
    app: Flask, index: int, query: dict[str, str], form: dict[str, str], signed: bool
) -> None:
    routes = webhook_routes(app)
    route = routes[index % len(routes)]
    path = route + ("?" + urlencode(query) if query else "")
    headers = {"X-Twilio-Signature": signature(PUBLIC_URL + path, form)} if signed else {}
    response = app.test_client().post(path, data=form, headers=headers)
    response.close()
    if not signed:
        assert response.status_code == 403
        return
    assert response.status_code in (200, 204), (path, form, response.status_code)
    if response.status_code == 200:
        root = ElementTree.fromstring(response.data)
        assert root.tag == "Response"


def test_the_url_map_has_the_webhooks(app: Flask) -> None:
    routes = set(webhook_routes(app))
    assert {"/voice", "/voice/status", "/voice/fallback", "/sms", "/sms/fallback"} <= routes


SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW_OK)
@given(index=ROUTE_INDEX, query=QUERIES, form=FORMS, signed=st.booleans())
def test_any_request_gets_twiml_or_403(
    app: Flask, index: int, query: dict, form: dict, signed: bool
) -> None:
    check(app, index, query, form, signed)


@pytest.mark.fuzz
@settings(max_examples=10_000, deadline=None, suppress_health_check=SLOW_OK)
@given(index=ROUTE_INDEX, query=QUERIES, form=FORMS, signed=st.booleans())
def test_long_run(app: Flask, index: int, query: dict, form: dict, signed: bool) -> None:
    check(app, index, query, form, signed)


def test_every_webhook_route_requires_a_signature(app: Flask) -> None:
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(WEBHOOK_PREFIXES):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = client.open(rule.rule, method=method, data={"From": "+15551230001"})
                assert response.status_code == 403, (rule.rule, method)
