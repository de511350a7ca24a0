"""Hard moments by voice: distress at any menu or the first prompt, the crisis line one key
away, a failed crisis dial, questions about oneself, and questions asked at the first prompt."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from ivr import create_app
from ivr.content import load_content

from .conftest import counted
from .twilio_fakes import Call

CONTENT = load_content()
CRISIS = "+18002738255"
CIS = "+18004226237"
LANGUAGE_KEY = {"en": "1", "es": "2"}
DISTRESS = {"en": "I don't want to live anymore", "es": "ya no quiero vivir"}
PERSONAL = {"en": "how long do I have", "es": "cuánto tiempo me queda"}


def prompt(code: str, prompt_id: str) -> str:
    return CONTENT[code].prompts[prompt_id]


def dialled(call: Call) -> str | None:
    dial = call.root.find("./Dial")
    return dial.text if dial is not None else None


@pytest.mark.parametrize("code", ["en", "es"])
def test_distress_at_a_menu_offers_the_crisis_line_one_key_away(
    client: FlaskClient, code: str
) -> None:
    call = Call(client).press(LANGUAGE_KEY[code]).say(DISTRESS[code])
    assert call.heard() == [prompt(code, "voice_distress")]
    call.press("1")
    assert call.heard() == [prompt(code, "voice_crisis_connecting")]
    assert dialled(call) == CRISIS


@pytest.mark.parametrize(("code", "yes"), [("en", "yes please"), ("es", "sí")])
def test_saying_yes_connects_and_a_failed_dial_says_the_numbers_again(
    client: FlaskClient, code: str, yes: str
) -> None:
    call = Call(client).press(LANGUAGE_KEY[code]).press("2").say(DISTRESS[code])
    call.say(yes)
    assert dialled(call) == CRISIS
    call.dial_ends("no-answer")
    assert call.heard() == [prompt(code, "voice_crisis_failed"), prompt(code, "voice_distress")]
    assert "9 8 8" in call.heard()[0] and "9 1 1" in call.heard()[0]
    call.press("0")  # the usual person, from the crisis offer too
    assert dialled(call) == CIS
    call.dial_ends("completed")
    assert call.hung_up


@pytest.mark.parametrize("code", ["en", "es"])
def test_distress_at_the_first_prompt_is_heard_in_its_language(
    client: FlaskClient, code: str
) -> None:
    call = Call(client).say(DISTRESS[code])
    assert call.heard() == [prompt(code, "voice_distress")]  # nothing before it, not even credit
    assert f"lang={code}" in call.gather.get("action")
    assert dialled(call.press("1")) == CRISIS


def test_the_crisis_offer_waits_and_back_leaves_it(client: FlaskClient) -> None:
    call = Call(client).press("1").say("I want to kill myself")
    call.silence()
    assert call.heard() == [prompt("en", "voice_still_there"), prompt("en", "voice_distress")]
    call.press("5")
    assert call.heard() == [prompt("en", "voice_wrong_key"), prompt("en", "voice_distress")]
    call.press("*")
    assert call.heard() == [prompt("en", "voice_menu_main")]


def test_the_crisis_number_is_configurable(config: dict[str, Any]) -> None:
    client = create_app(config | {"CRISIS_NUMBER": "+15550009988"}).test_client()
    call = Call(client).press("1").say("suicide").press("1")
    assert dialled(call) == "+15550009988"


@pytest.mark.parametrize("code", ["en", "es"])
def test_a_question_about_oneself_is_answered_kindly_with_a_person_near(
    client: FlaskClient, code: str
) -> None:
    call = Call(client).press(LANGUAGE_KEY[code]).say(PERSONAL[code])
    assert call.heard() == [prompt(code, "voice_personal"), prompt(code, "voice_menu_main")]
    assert "0" in prompt(code, "voice_personal")
    call.say("treatment" if code == "en" else "tratamiento")  # where the fact sheet speaks
    assert CONTENT[code].topic("treatment").title in call.heard()


@pytest.mark.parametrize(
    ("words", "code", "topic"),
    [
        ("symptoms", "en", "symptoms"),
        ("what are the symptoms", "en", "symptoms"),
        ("síntomas", "es", "symptoms"),
        ("cuáles son los síntomas", "es", "symptoms"),
        ("how is metastatic cancer treated", "en", "treatment"),
        ("tratamiento", "es", "treatment"),
    ],
)
def test_a_question_at_the_first_prompt_chooses_the_language_and_the_answer(
    client: FlaskClient, words: str, code: str, topic: str
) -> None:
    call = Call(client).say(words)
    heard = call.heard()  # the opening named the source: the answer at once
    assert heard[:2] == [CONTENT[code].topic(topic).title, CONTENT[code].topic(topic).parts[0]]
    assert f"lang={code}" in call.gather.get("action")


@pytest.mark.parametrize(
    "words", ["español", "Espanol", "a spaniel", "in Spanish", "spanish please", "en español"]
)
def test_espanol_at_the_first_prompt_reaches_spanish_as_an_english_recognizer_writes_it(
    client: FlaskClient, words: str
) -> None:
    call = Call(client).say(words)
    assert call.heard()[0] == prompt("es", "voice_menu_main")
    assert "lang=es" in call.gather.get("action")


def test_hard_moments_by_voice_are_counted_by_category_only(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    Call(client, "+15550000001").press("1").say("I want to die")
    Call(client, "+15550000002").press("2").say("me voy a morir")
    rows = [
        (row["kind"], row["language"], row["count"])
        for row in counted(app.extensions["ivr"].store)
        if row["kind"] in ("distress", "personal")
    ]
    assert sorted(rows) == [("distress", "en", 1), ("personal", "es", 1)]
