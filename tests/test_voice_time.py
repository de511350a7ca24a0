"""A caller's time and control: two misses then a person, and more time on request."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from ivr import create_app
from ivr.content import load_content

from .conftest import CALLER, TOKEN
from .twilio_fakes import ACCOUNT_SID, Call, messages_api

CONTENT = load_content()
LANGUAGE_KEY = {"en": "1", "es": "2"}
NONSENSE = {"en": "purple elephants", "es": "elefantes morados"}
YES_NO = {"en": ("yes", "no"), "es": ("sí", "no")}
MORE_TIME = {"en": "I need more time", "es": "necesito más tiempo"}


def prompt(code: str, prompt_id: str) -> str:
    return CONTENT[code].prompts[prompt_id]


def in_call(client: FlaskClient, code: str) -> Call:
    return Call(client).press(LANGUAGE_KEY[code])


@pytest.mark.parametrize("code", ["en", "es"])
@pytest.mark.parametrize("by", ["key", "speech"])
def test_two_misses_offer_a_person_and_a_third_asks_to_connect(
    client: FlaskClient, code: str, by: str
) -> None:
    call = in_call(client, code)
    miss = (lambda: call.press("6")) if by == "key" else (lambda: call.say(NONSENSE[code]))
    sorry = prompt(code, "voice_wrong_key" if by == "key" else "voice_not_understood")
    assert miss().heard() == [sorry, prompt(code, "voice_menu_main")]
    assert miss().heard() == [
        sorry,
        prompt(code, "voice_miss_offer"),
        prompt(code, "voice_menu_main"),
    ]
    assert miss().heard() == [sorry, prompt(code, "voice_miss_connect")]
    yes, _ = YES_NO[code]
    call.say(yes)
    assert call.root.find("./Dial").text == "+18004226237"


@pytest.mark.parametrize("code", ["en", "es"])
def test_no_at_the_offer_goes_back_and_an_answer_resets_the_misses(
    client: FlaskClient, code: str
) -> None:
    call = in_call(client, code)
    for _ in range(3):
        call.press("6")
    _, no = YES_NO[code]
    assert call.say(no).heard() == [prompt(code, "voice_menu_main")]
    assert call.press("6").heard() == [
        prompt(code, "voice_wrong_key"),
        prompt(code, "voice_menu_main"),
    ]
    call.press("3")  # understood: a submenu
    assert call.press("9").heard() == [prompt(code, "voice_menu_treatment")]
    assert call.press("6").heard()[-1] == prompt(code, "voice_menu_treatment")  # one miss again


def test_at_the_offer_keys_work_and_silence_asks_again(client: FlaskClient) -> None:
    call = in_call(client, "en")
    for _ in range(3):
        call.press("6")
    assert call.press("8").heard() == [
        prompt("en", "voice_wrong_key"),
        prompt("en", "voice_miss_connect"),
    ]
    assert call.silence().heard() == [
        prompt("en", "voice_still_there"),
        prompt("en", "voice_miss_connect"),
    ]
    assert call.press("1").root.find("./Dial") is not None


def test_a_withheld_caller_id_still_gets_the_miss_ladder(client: FlaskClient) -> None:
    call = Call(client, "anonymous").press("1")
    for _ in range(3):
        call.press("6")
    assert call.heard()[-1] == prompt("en", "voice_miss_connect")


@pytest.mark.parametrize("code", ["en", "es"])
def test_more_time_doubles_the_pauses_for_the_rest_of_the_call(
    client: FlaskClient, code: str
) -> None:
    call = in_call(client, code)
    assert call.gather.get("timeout") == "8"
    call.press("7")
    assert call.heard() == [prompt(code, "voice_more_time"), prompt(code, "voice_menu_main")]
    assert call.gather.get("timeout") == "16"
    call.press("2")  # an answer: the pause between parts is longer too
    assert call.gather.get("timeout") == "4"
    call.say(MORE_TIME[code])  # asked twice: said that it is so, and nothing breaks
    assert call.heard()[0] == prompt(code, "voice_more_time_already")
    assert call.gather.get("timeout") == "4"


def test_more_time_never_waits_more_than_a_minute(config: dict[str, Any]) -> None:
    client = create_app(config | {"GATHER_TIMEOUT": "45"}).test_client()
    call = Call(client).press("1").press("7")
    assert call.gather.get("timeout") == "60"


@pytest.mark.parametrize("code", ["en", "es"])
def test_the_silence_warning_and_the_key_map_say_how_to_get_more_time(code: str) -> None:
    assert "7" in prompt(code, "voice_still_there")
    assert "7" in prompt(code, "voice_keys")


@pytest.fixture
def texting(config: dict[str, Any]):  # type: ignore[no-untyped-def]
    """A line that can send texts, through a local stand-in for Twilio's Messages API."""
    with messages_api(TOKEN) as api:
        settings = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_FROM": "+15550001111"}
        yield create_app(config | settings | {"TWILIO_API_URL": api.url}), api


@pytest.mark.parametrize("code", ["en", "es"])
@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled", "something-new"])
def test_a_failed_transfer_says_the_number_twice_and_returns_where_the_caller_was(
    client: FlaskClient, code: str, status: str
) -> None:
    call = in_call(client, code).press("2")  # an answer is playing
    call.press("0").dial_ends(status)
    failed = prompt(code, "voice_transfer_failed")
    assert call.heard()[0] == failed
    assert failed.count("6 2 3 7") == 2  # slowly, in groups, twice
    assert CONTENT[code].topic("symptoms").parts[0] in call.heard()  # back in the answer


@pytest.mark.parametrize("code", ["en", "es"])
def test_after_a_failed_transfer_the_number_can_be_texted(texting, code: str) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = Call(app.test_client(), CALLER).press(LANGUAGE_KEY[code]).press("3")
    call.press("0").dial_ends("busy")
    assert call.heard() == [
        prompt(code, "voice_transfer_failed"),
        prompt(code, "voice_number_offer"),
    ]
    call.press("3")
    assert call.heard() == [
        prompt(code, "voice_number_sending"),
        prompt(code, "voice_menu_treatment"),
    ]
    assert [message["Body"] for message in api.sent] == [CONTENT[code].prompt("sms_cis_number")]


def test_after_a_failed_transfer_anything_else_goes_on(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = Call(app.test_client(), CALLER).press("1").press("3").press("0").dial_ends("no-answer")
    assert call.press("1").heard() == [prompt("en", "voice_menu_treatment")]
    call.press("0").dial_ends("no-answer")
    assert call.silence().heard() == [prompt("en", "voice_menu_treatment")]  # silence: on
    assert api.sent == []


def test_a_withheld_caller_id_gets_the_number_but_no_text_offer(texting) -> None:  # type: ignore[no-untyped-def]
    app, _ = texting
    call = Call(app.test_client(), "anonymous").press("1").press("0").dial_ends("busy")
    assert call.heard() == [prompt("en", "voice_transfer_failed"), prompt("en", "voice_menu_main")]
