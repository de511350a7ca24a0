"""POST /sms end to end: answers, paging, language, opt-out, limits, retries and bad input."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.content import load_content
from ivr.sms.replies import build_replies, within_budget
from ivr.store import Store

from .conftest import CALLER, counted, signature, signed_post

REPLIES = build_replies(load_content())
OTHER = "+15551230002"


class Phone:
    """A texter's phone: sends signed webhooks as Twilio would and reads the TwiML reply."""

    def __init__(self, client: FlaskClient, number: str = CALLER) -> None:
        self.client = client
        self.number = number
        self.sent = 0

    def send(self, body: str, sid: str | None = None, **form: str) -> str | None:
        """Text body to the line; the reply's text, or None when the line sends nothing."""
        self.sent += 1
        data = {
            "From": self.number,
            "To": "+15550009999",
            "Body": body,
            "MessageSid": sid or f"SM{self.number[-4:]}{self.sent:04d}",
            "NumMedia": "0",
        } | form
        response = signed_post(self.client, "/sms", data)
        assert response.status_code == 200
        assert response.mimetype == "text/xml"
        root = ElementTree.fromstring(response.data)
        assert root.tag == "Response"
        messages = root.findall("./Message")
        assert len(messages) <= 1 and len(root) == len(messages)  # nothing but a Message
        return messages[0].text if messages else None


def store_of(app: Flask) -> Store:
    return app.extensions["ivr"].store


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    return Phone(client)


@pytest.fixture
def db_app(config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    """The line on SQLite and, when CI provides one, PostgreSQL."""
    # Room to page through the longest answer without meeting the rate limit.
    app = create_app(config | {"DATABASE_URL": database_url, "SMS_RATE_LIMIT": "100/minute"})
    app.testing = True
    yield app
    store_of(app).engine.dispose()


@pytest.fixture
def db_phone(db_app: Flask) -> Phone:
    return Phone(db_app.test_client())


def test_unsigned_or_forged_webhooks_are_refused(client: FlaskClient) -> None:
    form = {"From": CALLER, "Body": "5", "MessageSid": "SM1"}
    assert client.post("/sms", data=form).status_code == 403
    forged = {"X-Twilio-Signature": signature("https://line.example.org/sms", {"Body": "1"})}
    assert client.post("/sms", data=form, headers=forged).status_code == 403
    assert client.post("/sms/fallback", data=form).status_code == 403


@pytest.mark.parametrize("number", range(1, 10))
def test_every_topic_by_number_in_both_languages(client: FlaskClient, number: int) -> None:
    topic = load_content()["en"].topics[number - 1].id
    english, spanish = Phone(client), Phone(client, OTHER)
    assert english.send(str(number)) == REPLIES["en"].summaries[topic]
    assert spanish.send("ESPAÑOL") == REPLIES["es"].menu
    assert spanish.send(str(number)) == REPLIES["es"].summaries[topic]


@pytest.mark.parametrize(("code", "topic"), [("en", "how-spread"), ("es", "what-is")])
def test_paging_to_the_end_in_both_languages(db_phone: Phone, code: str, topic: str) -> None:
    more = "MORE" if code == "en" else "MÁS"
    db_phone.send("English" if code == "en" else "Español")
    number = load_content()["en"].topic(topic).number
    assert db_phone.send(str(number)) == REPLIES[code].summaries[topic]
    pages = REPLIES[code].pages[topic]
    assert [db_phone.send(more) for _ in pages] == list(pages)
    assert db_phone.send(more) == REPLIES[code].more_done


def test_more_before_any_topic(phone: Phone) -> None:
    assert phone.send("more") == REPLIES["en"].more_nothing


def test_language_is_remembered_for_the_number(app: Flask, phone: Phone) -> None:
    assert phone.send("ESPANOL") == REPLIES["es"].menu
    assert store_of(app).language_for(CALLER) == "es"
    assert phone.send("1") == REPLIES["es"].summaries["what-is"]  # a number: still Spanish
    assert phone.send("melanoma") == REPLIES["es"].sites["melanoma"]  # a word of both: too
    assert phone.send("ENGLISH") == REPLIES["en"].menu
    assert phone.send("1") == REPLIES["en"].summaries["what-is"]
    assert store_of(app).language_for(CALLER) == "en"


def test_each_message_is_answered_in_its_own_language(app: Flask, phone: Phone) -> None:
    assert phone.send("ESPANOL") == REPLIES["es"].menu
    assert phone.send("what are the symptoms") == REPLIES["en"].summaries["symptoms"]
    assert store_of(app).language_for(CALLER) == "en"  # and remembered
    assert phone.send("5") == REPLIES["en"].summaries["symptoms"]
    assert phone.send("que es el tratamiento") == REPLIES["es"].summaries["treatment"]
    assert phone.send("MENU") == REPLIES["es"].menu  # a word of both languages keeps Spanish
    assert phone.send("START") == REPLIES["es"].menu  # carriers' words say nothing of language


def test_a_first_message_in_spanish_gets_spanish(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client)
    assert phone.send("¿Cuáles son los síntomas?") == REPLIES["es"].summaries["symptoms"]
    assert phone.send("3") == REPLIES["es"].summaries["where-spread"]
    greeting = Phone(client, OTHER)
    assert greeting.send("Hola") == REPLIES["es"].menu
    assert store_of(app).language_for(OTHER) == "es"


def test_sites_help_and_menu(phone: Phone) -> None:
    assert phone.send("SITES BREAST") == REPLIES["en"].sites["breast"]
    assert phone.send("sites") == REPLIES["en"].sites_list
    assert phone.send("help") == REPLIES["en"].help
    assert phone.send("INFO") == REPLIES["en"].menu
    assert phone.send("AYUDA") == REPLIES["es"].help  # written in Spanish: answered so
    assert phone.send("sintomas en español") == REPLIES["es"].summaries["symptoms"]
    assert phone.send("SITIOS MAMA") == REPLIES["es"].sites["breast"]


def test_not_understood_gets_the_menu_with_a_guess(phone: Phone) -> None:
    assert phone.send("lugn please") == REPLIES["en"].did_you_mean("LUNG")
    assert phone.send("qwxz") == REPLIES["en"].not_understood_again  # twice in a row: a person
    assert phone.send("5") == REPLIES["en"].summaries["symptoms"]
    assert phone.send("qwxz") == REPLIES["en"].not_understood


def test_opt_out_then_nothing_goes_out_until_opt_in(db_app: Flask, db_phone: Phone) -> None:
    store = store_of(db_app)
    client = db_app.test_client()
    assert db_phone.send("5", sid="SMtopic") == REPLIES["en"].summaries["symptoms"]
    assert db_phone.send("STOP") is None  # Twilio sends its own confirmation
    assert store.is_opted_out(CALLER) and not store.may_text(CALLER)
    for body in ("5", "MORE", "HELP", "MENU", "STOP", "hello"):
        assert db_phone.send(body) is None, body
    assert db_phone.send("5", sid="SMtopic") is None  # a late retry of an answered message
    fallback = signed_post(client, "/sms/fallback", {"From": CALLER, "Body": "5"})
    assert ElementTree.fromstring(fallback.data).findall("./Message") == []
    assert db_phone.send("START") == REPLIES["en"].opted_in
    assert store.may_text(CALLER)
    assert db_phone.send("MORE") == REPLIES["en"].pages["symptoms"][0]
    assert Phone(client, OTHER).send("5") == REPLIES["en"].summaries["symptoms"]


def test_yes_from_a_number_that_never_opted_out_gets_the_menu(phone: Phone) -> None:
    assert phone.send("brst") is not None
    assert phone.send("yes") == REPLIES["en"].menu
    assert phone.send("YES") == REPLIES["en"].menu
    assert phone.send("Sí") == REPLIES["es"].menu  # written in Spanish: answered so


def test_a_spanish_opt_out_is_confirmed_once(app: Flask, phone: Phone) -> None:
    assert phone.send("PARAR") == REPLIES["es"].opted_out  # Twilio does not know this word
    assert phone.send("AYUDA") is None
    assert phone.send("5") is None
    assert not store_of(app).may_text(CALLER)
    assert phone.send("COMENZAR") == REPLIES["es"].opted_in


def test_the_opt_out_is_written_before_anything_else(
    app: Flask, phone: Phone, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_of(app)
    calls: list[str] = []
    for name in ("set_opted_out", "sms_state", "save_sms_turn", "write_bookkeeping"):
        method = getattr(store, name)
        monkeypatch.setattr(store, name, _spy(calls, name, method))
    assert phone.send("Stop texting me") == REPLIES["en"].opted_out
    assert calls[0] == "set_opted_out"
    # Nothing read, nothing else written; the usage event is written after the reply.
    assert calls == ["set_opted_out", "write_bookkeeping"]


def _spy(calls: list[str], name: str, method: Any) -> Any:
    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return method(*args, **kwargs)

    return spy


def test_an_opt_out_counts_even_over_the_rate_limit(config: dict, tmp_path: Path) -> None:
    app = create_app(config | {"SMS_RATE_LIMIT": "1/minute"})
    phone = Phone(app.test_client())
    assert phone.send("5") is not None
    assert phone.send("stop please") is None  # over the limit: not even a confirmation
    assert store_of(app).is_opted_out(CALLER)
    store_of(app).engine.dispose()


def test_a_lost_opt_out_is_loud_and_names_only_the_hash(
    app: Flask, phone: Phone, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_of(app)

    def broken(*_: Any) -> None:
        raise sa.exc.OperationalError("UPDATE", {}, Exception("disk I/O error"))

    monkeypatch.setattr(store, "set_opted_out", broken)
    assert phone.send("PARAR") is None  # valid, empty TwiML: never a 500, and nothing sent
    record = next(r for r in caplog.records if "OPT-OUT NOT RECORDED" in r.getMessage())
    assert record.levelno == logging.CRITICAL
    assert store.number_key(CALLER) in record.getMessage()
    assert CALLER not in caplog.text and CALLER[1:] not in caplog.text


def test_when_opt_outs_cannot_be_read_nothing_is_sent(app: Flask, phone: Phone) -> None:
    # Every read of the opt-out list fails, as every read of a broken database would.
    with store_of(app).engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE sms_opt_outs"))
    assert phone.send("5") is None
    fallback = signed_post(app.test_client(), "/sms/fallback", {"From": CALLER})
    assert ElementTree.fromstring(fallback.data).findall("./Message") == []


def test_lost_bookkeeping_still_answers(
    app: Flask, phone: Phone, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(store_of(app), "save_sms_turn", broken)
    assert phone.send("5") == REPLIES["en"].summaries["symptoms"]


def test_a_flood_is_cut_off_per_number(config: dict) -> None:
    app = create_app(config | {"SMS_RATE_LIMIT": "3/minute"})
    client = app.test_client()
    flooder, other = Phone(client), Phone(client, OTHER)
    replies = [flooder.send("5") for _ in range(5)]
    assert replies[:3] == [REPLIES["en"].summaries["symptoms"]] * 3
    assert replies[3:] == [REPLIES["en"].limit_notices["minute"], None]  # told once, then nothing
    assert other.send("5") == REPLIES["en"].summaries["symptoms"]
    store_of(app).engine.dispose()


def test_a_retried_webhook_does_not_page_twice(db_app: Flask, db_phone: Phone) -> None:
    pages = REPLIES["en"].pages["what-is"]
    db_phone.send("1", sid="SM1")
    assert db_phone.send("MORE", sid="SM2") == pages[0]
    assert db_phone.send("MORE", sid="SM2") == pages[0]  # Twilio retried SM2
    assert db_phone.send("MORE", sid="SM3") == pages[1]
    assert store_of(db_app).conversation(CALLER).next_part == 2


@pytest.mark.parametrize(
    ("form", "reply"),
    [
        ({"Body": ""}, "no_text"),
        ({"Body": "😀😀😀"}, "no_text"),
        ({"Body": "\x00\x01\x1b\x7f\u200b"}, "no_text"),
        ({"Body": "\x1b[31m\x00"}, "not_understood"),
        ({"Body": "", "NumMedia": "abc"}, "no_text"),
        ({"Body": "x" * 2000}, "not_understood"),
        ({"Body": "</Message><Message>free money"}, "not_understood"),
    ],
)
def test_bad_input_gets_a_helpful_reply(client: FlaskClient, form: dict, reply: str) -> None:
    body = form.pop("Body")
    assert Phone(client).send(body, **form) == getattr(REPLIES["en"], reply)


def test_a_request_without_a_number_gets_nothing(client: FlaskClient) -> None:
    response = signed_post(client, "/sms", {"Body": "5"})
    assert response.status_code == 200
    assert ElementTree.fromstring(response.data).findall("./Message") == []


def test_usage_events_are_anonymous(db_app: Flask, db_phone: Phone) -> None:
    for body in ("5", "MORE", "SITES LUNG", "SINTOMAS", "zzz", "STOP"):
        db_phone.send(body)
    store = store_of(db_app)
    assert store.topic_counts()[("sms", "symptoms")] == 3
    assert store.topic_counts()[("sms", "where-spread")] == 1
    rows = counted(store)
    assert {row["kind"] for row in rows} >= {
        "summary",
        "more",
        "sites",
        "not-understood",
        "opt-out",
    }
    digits = CALLER[-7:]
    assert all(digits not in str(value) for row in rows for value in row.values())
    assert all(row["channel"] == "sms" for row in rows)
    with store.engine.connect() as connection:  # a text is counted, never kept one by one
        assert connection.execute(sa.text("SELECT count(*) FROM usage_events")).scalar() == 0


@pytest.mark.parametrize(
    "body",
    [
        "😀😀😀",
        "🙏 ayuda por favor 🙏",
        "x" * 1600,
        "asdf qwer zxcv " * 100,
        "symptoms síntomas treatment tratamiento",
        "I have breast cancer y tengo miedo",
        "\u200b\u200b",
        "¿¿¿???",
        "https://example.org/some/link",
    ],
)
def test_garbage_emoji_long_and_mixed_bodies_get_a_reply_within_budget(
    client: FlaskClient, body: str
) -> None:
    reply = Phone(client).send(body)
    assert reply is not None
    assert any(within_budget(reply, code) for code in ("en", "es")), reply
