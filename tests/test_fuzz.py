"""Arbitrary forms and states, posted to every webhook taken from the URL map: never a 500."""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import create_app
from ivr.app import WEBHOOK_PREFIXES

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


def build_app() -> Flask:
    directory = tempfile.mkdtemp(prefix="ivr-fuzz-")
    return create_app(
        {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC_URL, "INSTANCE_DIR": directory}
    )


APP = build_app()
ROUTES = sorted(
    rule.rule
    for rule in APP.url_map.iter_rules()
    if rule.rule.startswith(WEBHOOK_PREFIXES) and "POST" in (rule.methods or ())
)


def check(route: str, query: dict[str, str], form: dict[str, str], signed: bool) -> None:
    path = route + ("?" + urlencode(query) if query else "")
    headers = {"X-Twilio-Signature": signature(PUBLIC_URL + path, form)} if signed else {}
    response = APP.test_client().post(path, data=form, headers=headers)
    response.close()
    if not signed:
        assert response.status_code == 403
        return
    assert response.status_code in (200, 204), (path, form, response.status_code)
    if response.status_code == 200:
        root = ElementTree.fromstring(response.data)
        assert root.tag == "Response"


def test_the_url_map_has_the_webhooks() -> None:
    assert {"/voice", "/voice/status", "/voice/fallback", "/sms/fallback"} <= set(ROUTES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), query=QUERIES, form=FORMS, signed=st.booleans())
def test_any_request_gets_twiml_or_403(route: str, query: dict, form: dict, signed: bool) -> None:
    check(route, query, form, signed)


@pytest.mark.fuzz
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), query=QUERIES, form=FORMS, signed=st.booleans())
def test_long_run(route: str, query: dict, form: dict, signed: bool) -> None:
    check(route, query, form, signed)


def test_every_webhook_route_requires_a_signature() -> None:
    client = APP.test_client()
    for rule in APP.url_map.iter_rules():
        if rule.rule.startswith(WEBHOOK_PREFIXES):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = client.open(rule.rule, method=method, data={"From": "+15551230001"})
                assert response.status_code == 403, (rule.rule, method)
