"""The simulator's server side: off by default, signs only the line's own webhooks."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from ivr import create_app
from ivr.cli import local_settings
from ivr.content import load_content
from ivr.simulator import FAKE_ACCOUNT_SID
from ivr.simulator.carrier import Silence, TwilioReply, twilio_reply, why_silent

from .conftest import PUBLIC_URL, TOKEN, signature, signed_post

CONTENT = load_content()


@pytest.fixture
def simulator(config: dict[str, Any]) -> FlaskClient:
    return create_app(config | {"SIMULATOR": "true"}).test_client()


def test_off_unless_turned_on(client: FlaskClient) -> None:
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/sign", json={"path": "/voice", "params": {}}).status_code == 404


def test_page_is_served(simulator: FlaskClient) -> None:
    page = simulator.get("/simulator")
    assert page.status_code == 200
    assert b'<html lang="en">' in page.data and b"simulator.js" in page.data
    assert simulator.get("/simulator/static/simulator.js").status_code == 200


def test_signs_exactly_as_twilio(simulator: FlaskClient) -> None:
    params = {"From": "+15555550100", "Digits": "1"}
    answer = simulator.post("/simulator/sign", json={"path": "/voice?lang=en", "params": params})
    assert answer.get_json()["signature"] == signature(PUBLIC_URL + "/voice?lang=en", params, TOKEN)


@pytest.mark.parametrize(
    "path", ["/healthz", "https://evil.example.org/voice", "/simulator/sign", ""]
)
def test_signs_nothing_but_the_webhooks(simulator: FlaskClient, path: str) -> None:
    assert simulator.post("/simulator/sign", json={"path": path, "params": {}}).status_code == 400


def test_outbox_catches_texts_without_numbers(simulator: FlaskClient) -> None:
    url = f"/simulator/twilio/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json"
    sent = simulator.post(url, data={"To": "+15555550100", "From": "+15555550199", "Body": "Hello"})
    assert sent.status_code == 201 and sent.get_json()["sid"].startswith("SM")
    messages = simulator.get("/simulator/outbox?since=0").get_json()["messages"]
    assert messages == [{"id": "1", "body": "Hello"}]
    assert simulator.get("/simulator/outbox?since=1").get_json()["messages"] == []


def test_segments_for_the_page(simulator: FlaskClient) -> None:
    size = simulator.post("/simulator/segments", json={"text": "á" * 71}).get_json()
    assert size | {"language": None} == {
        "encoding": "UCS-2",
        "units": 71,
        "count": 2,
        "language": None,
    }
    assert (
        simulator.post("/simulator/segments", json={"text": "12345"}).get_json()["language"] is None
    )
    spanish = CONTENT["es"].topic("symptoms").summary
    assert simulator.post("/simulator/segments", json={"text": spanish}).get_json()["language"] == (
        "es"
    )


@pytest.mark.parametrize(
    ("body", "reply"),
    [
        ("STOP", TwilioReply.STOP),
        (" stop ", TwilioReply.STOP),
        ("Unsubscribe", TwilioReply.STOP),
        ("START", TwilioReply.START),
        ("yes", TwilioReply.START),
        ("HELP", TwilioReply.HELP),
        ("info", TwilioReply.HELP),
        ("please stop", None),  # only the whole message is Twilio's keyword
        ("PARAR", None),  # the line confirms Spanish opt-outs itself
        ("AYUDA", None),
        ("", None),
    ],
)
def test_twilio_answers_only_its_own_keywords(body: str, reply: TwilioReply | None) -> None:
    assert twilio_reply(body) is reply


@pytest.mark.parametrize("reply", list(TwilioReply))
def test_twilios_confirmations_are_content_in_both_languages(reply: TwilioReply) -> None:
    for language in CONTENT.languages.values():
        assert language.prompt(reply.value)


def test_the_page_gets_twilios_confirmation(simulator: FlaskClient) -> None:
    answer = simulator.post("/simulator/twilio-reply", json={"body": "stop"}).get_json()
    assert answer == {"text": CONTENT["en"].prompt("sms_twilio_stop"), "language": "en"}
    none = simulator.post("/simulator/twilio-reply", json={"body": "symptoms"}).get_json()
    assert none == {"text": None, "language": None}


@pytest.mark.parametrize(
    ("body", "is_opt_out", "opted_out", "reason"),
    [
        ("STOP", True, True, Silence.TWILIO_OPT_OUT),
        ("PARAR", True, True, Silence.OPT_OUT_OVER_LIMIT),
        ("menu", False, True, Silence.OPTED_OUT),
        ("menu", False, False, Silence.RATE_LIMIT),
    ],
)
def test_why_the_line_was_silent(
    body: str, is_opt_out: bool, opted_out: bool, reason: Silence
) -> None:
    assert why_silent(body, is_opt_out, opted_out) is reason


def test_the_page_hears_why_the_line_was_silent(config: dict[str, Any]) -> None:
    app = create_app(config | {"SIMULATOR": "true", "SMS_RATE_LIMIT": "1/minute"})
    simulator = app.test_client()
    number = "+15555550123"
    for body in ("menu", "menu", "menu"):  # a reply, the limit's notice, then nothing
        sent = signed_post(simulator, "/sms", {"From": number, "Body": body, "MessageSid": "SM1"})
    assert "<Message>" not in sent.get_data(as_text=True)
    why = simulator.post("/simulator/silence", json={"from": number, "body": "menu"}).get_json()
    assert why == {"reason": "rate-limit", "limit": "1/minute"}
    signed_post(simulator, "/sms", {"From": number, "Body": "STOP", "MessageSid": "SM2"})
    why = simulator.post("/simulator/silence", json={"from": number, "body": "menu"}).get_json()
    assert why["reason"] == "opted-out"


def test_local_serve_turns_on_the_simulator_and_its_outbox() -> None:
    env = local_settings({"IVR_TWILIO_AUTH_TOKEN": "x"}, "127.0.0.1", 5000)
    assert env["IVR_SIMULATOR"] == "true"
    assert env["IVR_TWILIO_API_URL"] == "http://127.0.0.1:5000/simulator/twilio"
    production_like = local_settings(
        {"IVR_TWILIO_AUTH_TOKEN": "x", "IVR_SIMULATOR": "false"}, "h", 1
    )
    assert "IVR_TWILIO_ACCOUNT_SID" not in production_like


@pytest.mark.parametrize(
    ("environ", "headers"),
    [({"REMOTE_ADDR": "203.0.113.5"}, {}), ({}, {"X-Forwarded-For": "203.0.113.5"})],
)
def test_only_this_machine_may_use_it(simulator: FlaskClient, environ: dict, headers: dict) -> None:
    for path in ("/simulator", "/simulator/captions"):
        assert simulator.get(path, environ_base=environ, headers=headers).status_code == 403
    answer = simulator.post(
        "/simulator/sign",
        json={"path": "/voice", "params": {}},
        environ_base=environ,
        headers=headers,
    )
    assert answer.status_code == 403


def test_serving_beyond_this_machine_leaves_it_off() -> None:
    assert (
        local_settings({"IVR_TWILIO_AUTH_TOKEN": "x"}, "0.0.0.0", 8000)["IVR_SIMULATOR"] == "false"
    )
