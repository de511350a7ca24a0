"""The phone line, walked end to end through the /voice webhook in both languages."""

from __future__ import annotations

import itertools
from typing import Any
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.content import LANGUAGES, load_content
from ivr.sms.replies import summary_reply
from ivr.voice.menus import MENUS, ToMenu, ToTopic
from ivr.voice.protocol import MenuId

from .conftest import CALLER, PUBLIC_URL, TOKEN, counted, signature, signed_post
from .twilio_fakes import ACCOUNT_SID, Call, messages_api

CONTENT = load_content()
LANGUAGE_KEY = {"en": "1", "es": "2"}


def prompt(code: str, prompt_id: str) -> str:
    return CONTENT[code].prompts[prompt_id]


def path_to(topic_id: str) -> str:
    """The keys that lead from the main menu to a topic."""
    wanted = ToTopic(topic_id)
    for number, choice in enumerate(MENUS[MenuId.MAIN].choices, 1):
        if choice == wanted:
            return str(number)
        if isinstance(choice, ToMenu) and wanted in MENUS[choice.menu].choices:
            return f"{number}{MENUS[choice.menu].choices.index(wanted) + 1}"
    raise AssertionError(topic_id)


_numbers = itertools.count(1)


def call_in(client: FlaskClient, code: str, number: str = "") -> Call:
    """A first-time caller (a new number each time) who chooses a language by key."""
    return Call(client, number or f"+1555999{next(_numbers):04d}").press(LANGUAGE_KEY[code])


def press_each(call: Call, keys: str) -> Call:
    for key in keys:
        call.press(key)
    return call


# -- the start of a call -------------------------------------------------------------------


def test_welcome_is_bilingual_and_interruptible(client: FlaskClient) -> None:
    call = Call(client)
    gather = call.gather
    assert gather.get("input") == "dtmf speech"
    assert gather.get("finishOnKey") == ""
    assert int(gather.get("timeout")) >= 8
    says = gather.findall("./Say")
    assert [s.get("language") for s in says] == ["en-US", "es-US", "en-US", "es-US"]
    # One short opening: each language's key, then the invitation to ask in each language.
    assert call.heard() == [
        prompt("en", "voice_welcome"),
        prompt("es", "voice_welcome"),
        prompt("en", "voice_welcome_ask"),
        prompt("es", "voice_welcome_ask"),
    ]
    assert "press 1" in call.heard()[0] and "oprima 2" in call.heard()[1]
    assert call.root.find("./Redirect") is not None
    # Silence or a wrong key: the choice again, shorter.
    assert call.silence().heard()[-2:] == [
        prompt("en", "voice_choose_language"),
        prompt("es", "voice_choose_language"),
    ]


@pytest.mark.parametrize("code", LANGUAGES)
def test_choosing_a_language_by_key_gives_the_menu_at_once_and_a_person_near(
    client: FlaskClient, code: str
) -> None:
    call = call_in(client, code)
    assert call.heard() == [prompt(code, "voice_menu_main"), prompt(code, "voice_person_anytime")]
    assert call.gather.get("language") == {"en": "en-US", "es": "es-US"}[code]


@pytest.mark.parametrize(
    ("words", "code"), [("English", "en"), ("español", "es"), ("Spanish please", "es")]
)
def test_choosing_a_language_by_voice(client: FlaskClient, words: str, code: str) -> None:
    call = Call(client).say(words)
    assert call.heard()[0] == prompt(code, "voice_menu_main")


def test_returning_caller_is_greeted_in_their_language_with_a_switch(client: FlaskClient) -> None:
    call_in(client, "es", CALLER)
    again = Call(client)
    assert again.heard() == [
        prompt("es", "voice_welcome_back"),
        prompt("es", "voice_menu_main"),
        prompt("es", "voice_person_anytime"),
        prompt("en", "voice_switch_language"),
    ]
    switched = again.press("8")
    assert switched.heard()[-1] == prompt("en", "voice_menu_main")
    assert Call(client).heard()[0] == prompt("en", "voice_welcome_back")


def test_language_choice_is_stored_only_as_a_hash(app: Flask, client: FlaskClient) -> None:
    call_in(client, "es", CALLER)
    store = app.extensions["ivr"].store
    assert store.language_for(CALLER) == "es"
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM caller_preferences")).all()
    assert len(rows) == 1 and CALLER.lstrip("+") not in str(rows)


# -- menus and answers ---------------------------------------------------------------------


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("topic_id", [t.id for t in CONTENT["en"].topics])
def test_every_answer_plays_part_by_part_to_the_end(
    client: FlaskClient, code: str, topic_id: str
) -> None:
    language = CONTENT[code]
    topic = language.topic(topic_id)
    call = press_each(call_in(client, code), path_to(topic_id))
    # The answer first (its question, then its first part), then how to listen.
    assert call.heard() == [
        topic.title,
        topic.spoken_part(1),  # the fact sheet's words, said for a listener where it says so
        prompt(code, "voice_answer_keys_no_text"),
    ]
    assert int(call.gather.get("timeout")) <= 3  # a short pause between parts
    for number in range(2, len(topic.parts) + 1):
        assert call.silence().heard() == [topic.spoken_part(number)]
    call.silence()
    if topic_id == "where-spread":
        assert call.heard() == [
            prompt(code, "voice_cancers_intro"),
            prompt(code, "voice_cancers_page_1"),
        ]
    else:
        # The first answer's end: the full credit and the key map, where they cost no time.
        assert call.heard() == [
            language.credit,
            prompt(code, "voice_keys"),
            prompt(code, "voice_answer_end_no_text"),
        ]


@pytest.mark.parametrize(
    ("words", "code", "topic_id"),
    [
        ("symptoms", "en", "symptoms"),
        ("what are the symptoms", "en", "symptoms"),
        ("treatment", "en", "treatment"),
        ("new treatments", "en", "new-treatments"),
        ("where does cancer spread", "en", "where-spread"),
        ("síntomas", "es", "symptoms"),
        ("tratamiento", "es", "treatment"),
        ("cómo se disemina el cáncer", "es", "how-spread"),
    ],
)
def test_saying_a_topic_at_any_menu(
    client: FlaskClient, words: str, code: str, topic_id: str
) -> None:
    for keys in ("", "3", "4"):  # the main menu and two submenus
        call = press_each(call_in(client, code), keys).say(words)
        assert call.heard()[0] == CONTENT[code].topic(topic_id).title, (keys, words)


@pytest.mark.parametrize("code", LANGUAGES)
def test_listening_controls(client: FlaskClient, code: str) -> None:
    topic = CONTENT[code].topic("how-spread")
    call = press_each(call_in(client, code), "42")
    assert prompt(code, "voice_answer_keys_no_text") in call.heard()
    assert call.press("1").heard() == [topic.parts[1]]  # skip ahead
    assert call.press("9").heard() == [topic.parts[1]]  # repeat
    assert call.press("*").heard() == [topic.parts[0]]  # back a part
    slower = call.press("2")
    assert slower.heard()[0] == prompt(code, "voice_slower")
    prosody = slower.gather.find("./Say/prosody")
    assert prosody is not None and prosody.get("rate") == "slow"
    assert prosody.text == topic.parts[0]
    assert call.press("1").gather.find("./Say/prosody") is not None  # slow stays on
    assert call.press("2").heard() == [prompt(code, "voice_normal_speed"), topic.parts[1]]
    assert call.press("*").press("*").heard() == [prompt(code, "voice_menu_spread")]  # to the menu
    assert call.press("#").heard() == [prompt(code, "voice_menu_main")]


def test_after_an_answer(client: FlaskClient) -> None:
    topic = CONTENT["en"].topic("second-cancer")
    call = press_each(call_in(client, "en"), "52").silence()
    assert call.heard()[-1] == prompt("en", "voice_answer_end_no_text")
    assert call.press("9").heard() == [topic.parts[0]]  # the answer again
    call.silence().press("*")
    assert call.heard() == [topic.parts[-1]]  # back to the last part
    call.silence().say("symptoms")
    assert call.heard()[0] == CONTENT["en"].topic("symptoms").title


@pytest.mark.parametrize("code", LANGUAGES)
def test_ending_the_call_from_an_answer(client: FlaskClient, code: str) -> None:
    call = press_each(call_in(client, code), "1").press("4")
    assert call.hung_up
    assert call.heard() == [prompt(code, "voice_goodbye")]


def test_back_from_the_main_menu_says_where_you_are(client: FlaskClient) -> None:
    call = call_in(client, "en").press("*")
    assert call.heard() == [prompt("en", "voice_at_main_menu"), prompt("en", "voice_menu_main")]
    assert press_each(call, "3*").heard() == [prompt("en", "voice_menu_main")]


# -- where cancer spreads ------------------------------------------------------------------


def cancers_menu(client: FlaskClient, code: str) -> Call:
    return press_each(call_in(client, code), "41").silence()


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("index", range(12))
def test_each_cancer_type_by_key(client: FlaskClient, code: str, index: int) -> None:
    language = CONTENT[code]
    cancer = language.cancers[index]
    call = cancers_menu(client, code)
    for _ in range(index // 4):
        call.press("5")
    call.press(str(index % 4 + 1))
    assert call.heard() == [language.sites_sentence(cancer), prompt(code, "voice_sites_next")]


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("index", range(12))
def test_each_cancer_type_by_speech(client: FlaskClient, code: str, index: int) -> None:
    language = CONTENT[code]
    cancer = language.cancers[index]
    for words in (cancer.name, cancer.synonyms[0]):
        call = cancers_menu(client, code).say(words)
        assert call.heard()[0] == language.sites_sentence(cancer), words


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_whole_table(client: FlaskClient, code: str) -> None:
    language = CONTENT[code]
    call = press_each(cancers_menu(client, code), "555")
    expected = [language.sites_sentence(c) for c in language.cancers]
    assert call.heard() == [
        prompt(code, "voice_table_intro"),
        *expected,
        prompt(code, "voice_sites_next"),
    ]
    assert call.press("1").heard()[-1] == prompt(code, "voice_cancers_page_1")
    assert call.say({"en": "whole table", "es": "toda la tabla"}[code]).heard()[1:-1] == expected


def test_pages_go_back(client: FlaskClient) -> None:
    call = press_each(cancers_menu(client, "en"), "55")
    assert press_each(call, "*").heard() == [prompt("en", "voice_cancers_page_2")]
    assert press_each(call, "3*").heard() == [prompt("en", "voice_cancers_page_2")]
    assert press_each(call, "**").heard() == [prompt("en", "voice_menu_spread")]


# -- silence and mistakes ------------------------------------------------------------------


@pytest.mark.parametrize("code", LANGUAGES)
def test_three_silences_end_the_call_kindly(client: FlaskClient, code: str) -> None:
    call = call_in(client, code)
    menu = prompt(code, "voice_menu_main")
    assert call.silence().heard() == [prompt(code, "voice_still_there"), menu]
    assert call.silence().heard() == [prompt(code, "voice_ending_soon"), menu]
    assert not call.hung_up
    assert call.silence().heard() == [prompt(code, "voice_goodbye_silence")]
    assert call.hung_up
    assert "SYMPTOMS" in prompt("en", "voice_goodbye_silence")


def test_a_key_after_the_warning_keeps_the_caller(client: FlaskClient) -> None:
    call = call_in(client, "en").silence().silence().press("2")
    assert call.heard()[0] == CONTENT["en"].topic("symptoms").title
    call.press("#").silence().silence()
    assert not call.hung_up  # the count started again


def test_silence_at_the_welcome(client: FlaskClient) -> None:
    call = Call(client).silence().silence()
    assert prompt("es", "voice_ending_soon") in call.heard()
    assert call.silence().hung_up


@pytest.mark.parametrize("code", LANGUAGES)
def test_wrong_keys_and_nonsense(client: FlaskClient, code: str) -> None:
    call = call_in(client, code)
    assert call.press("6").heard() == [
        prompt(code, "voice_wrong_key"),
        prompt(code, "voice_menu_main"),
    ]
    assert call.say("purple elephants").heard() == [  # a second miss in a row: a person
        prompt(code, "voice_not_understood"),
        prompt(code, "voice_miss_offer"),
        prompt(code, "voice_menu_main"),
    ]
    call.press("3")
    assert call.press("5").heard() == [
        prompt(code, "voice_wrong_key"),
        prompt(code, "voice_menu_treatment"),
    ]
    welcome = Call(client).press("5")
    assert prompt("en", "voice_wrong_key") in welcome.heard()
    assert prompt("es", "voice_choose_language") in welcome.heard()


# -- a person --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "how"), [("en", "0"), ("en", "help"), ("es", "ayuda"), ("es", "0")]
)
def test_reaching_a_person_anywhere(client: FlaskClient, code: str, how: str) -> None:
    for keys in ("", "4", "42"):
        call = press_each(call_in(client, code), keys)
        call.press(how) if how == "0" else call.say(how)
        dial = call.root.find("./Dial")
        assert dial is not None and dial.text == "+18004226237"
        assert call.heard() == [prompt(code, "voice_transfer")]


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_a_failed_transfer_comes_back_to_the_menu(client: FlaskClient, status: str) -> None:
    call = call_in(client, "es").press("0").dial_ends(status)
    assert call.heard() == [prompt("es", "voice_transfer_failed"), prompt("es", "voice_menu_main")]


def test_a_completed_transfer_ends_the_call(client: FlaskClient) -> None:
    call = call_in(client, "en").press("0").dial_ends("completed")
    assert call.hung_up


def test_transfer_number_is_configurable(config: dict[str, Any]) -> None:
    client = create_app(config | {"TRANSFER_NUMBER": "+15557654321"}).test_client()
    call = Call(client).press("0")
    assert call.root.find("./Dial").text == "+15557654321"


# -- text me this ------------------------------------------------------------------------------


@pytest.fixture
def texting(config: dict[str, Any]):  # type: ignore[no-untyped-def]
    """A line that can send texts, through a local stand-in for Twilio's Messages API."""
    with messages_api(TOKEN) as api:
        app = create_app(
            config
            | {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_FROM": "+15550001111",
                "TWILIO_API_URL": api.url,
            }
        )
        yield app, api


@pytest.mark.parametrize("code", LANGUAGES)
def test_text_me_this(texting, code: str) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = press_each(call_in(app.test_client(), code, CALLER), "2")
    assert prompt(code, "voice_answer_keys") in call.heard()
    call.press("3")
    assert call.heard() == [
        prompt(code, "voice_text_sending"),
        CONTENT[code].topic("symptoms").parts[0],
    ]
    assert len(api.sent) == 1
    assert api.sent[0]["To"] == CALLER and api.sent[0]["From"] == "+15550001111"
    assert api.sent[0]["Body"] == summary_reply(CONTENT[code], CONTENT[code].topic("symptoms"))
    # MORE by text continues the answer that was sent during the call.
    more = signed_post(
        app.test_client(),
        "/sms",
        {"From": CALLER, "Body": "MAS" if code == "es" else "MORE", "MessageSid": "SM" + "7" * 32},
    )
    assert CONTENT[code].topic("symptoms").parts[0][:40] in more.get_data(as_text=True)


def test_text_me_this_is_limited_per_call(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = press_each(call_in(app.test_client(), "en"), "2")
    for _ in range(3):
        assert call.press("3").heard()[0] == prompt("en", "voice_text_sending")
    assert call.press("3").heard()[0] == prompt("en", "voice_text_limit")
    assert len(api.sent) == 3


def test_text_me_this_respects_an_opt_out(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    app.extensions["ivr"].store.set_opted_out(CALLER, True)
    call = press_each(call_in(app.test_client(), "en", CALLER), "1").press("3")
    assert call.heard()[0] == prompt("en", "voice_text_opted_out")
    assert api.sent == []


def test_text_me_this_is_sent_after_the_response(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    client = app.test_client()
    call = press_each(call_in(client, "en", CALLER), "2")
    form = {"CallSid": "CA" + "0" * 32, "From": CALLER, "Digits": "3"}
    action = call.gather.get("action")
    response = client.post(
        action, data=form, headers={"X-Twilio-Signature": signature(PUBLIC_URL + action, form)}
    )
    assert prompt("en", "voice_text_sending") in response.get_data(as_text=True)
    assert api.sent == []  # the caller has their answer before Twilio's API is asked
    response.close()  # as a server does once the body is sent
    assert len(api.sent) == 1


def test_a_text_that_fails_after_the_response_is_logged_and_not_continued(
    texting, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    api.fail_with = 400
    call = press_each(call_in(app.test_client(), "en", CALLER), "1").press("3")
    assert call.heard()[0] == prompt("en", "voice_text_sending")
    assert "could not be sent" in caplog.text
    assert CALLER not in caplog.text
    more = signed_post(app.test_client(), "/sms", {"From": CALLER, "Body": "MORE"})
    assert prompt("en", "sms_more_nothing") in more.get_data(as_text=True)


def test_text_me_this_says_so_when_the_opt_out_list_cannot_be_read(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = press_each(call_in(app.test_client(), "en", CALLER), "1")
    app.extensions["ivr"].store.engine.dispose()
    with app.extensions["ivr"].store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE sms_opt_outs"))
    assert call.press("3").heard()[0] == prompt("en", "voice_text_failed")
    assert api.sent == []


def test_text_me_this_after_the_answer(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = press_each(call_in(app.test_client(), "en"), "52").silence()
    assert call.heard()[-1] == prompt("en", "voice_answer_end")
    assert call.press("3").heard() == [
        prompt("en", "voice_text_sending"),
        prompt("en", "voice_answer_end"),
    ]


def test_text_me_this_is_counted_and_shares_the_texting_limit(texting, config) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    limited = create_app(
        config
        | {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_FROM": "+15550001111",
            "TWILIO_API_URL": api.url,
            "SMS_RATE_LIMIT": "1/minute",
        }
    )
    first = press_each(call_in(limited.test_client(), "en", CALLER), "1").press("3")
    assert first.heard()[0] == prompt("en", "voice_text_sending")
    second = press_each(call_in(limited.test_client(), "en", CALLER), "1").press("3")
    assert second.heard()[0] == prompt("en", "voice_text_limit")  # a new call, the same number
    assert len(api.sent) == 1
    assert [row["count"] for row in counted(limited.extensions["ivr"].store, "text")] == [1]


def test_text_me_this_needs_a_real_caller_id(texting) -> None:  # type: ignore[no-untyped-def]
    app, api = texting
    call = press_each(call_in(app.test_client(), "en", "anonymous"), "1")
    assert prompt("en", "voice_answer_keys_no_text") in call.heard()
    assert call.press("3").heard()[0] == prompt("en", "voice_wrong_key")


def test_text_me_this_is_not_offered_without_settings(client: FlaskClient) -> None:
    call = press_each(call_in(client, "en"), "1").press("3")
    assert call.heard()[0] == prompt("en", "voice_wrong_key")


# -- status, events, and what Twilio accepts -----------------------------------------------------


def test_status_callback_and_events_are_anonymous(app: Flask, client: FlaskClient) -> None:
    press_each(call_in(client, "en", CALLER), "2")
    response = signed_post(
        client,
        "/voice/status",
        {"CallSid": "CA" + "0" * 32, "CallStatus": "completed", "CallDuration": "95"},
    )
    assert response.status_code == 204
    store = app.extensions["ivr"].store
    assert store.topic_counts() == {("voice", "symptoms"): 1}
    ends = counted(store, "call-end")
    # Where the call ended (in part 1 of the symptoms answer) and that it heard an answer.
    ended = [(end["detail"], end["place"], end["topic"], end["part"]) for end in ends]
    assert ended == [("contained", "answer", "symptoms", 1)]
    with store.engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT * FROM usage_events")).all()
    assert kept and CALLER.lstrip("+") not in str(kept) + str(counted(store))


def test_state_in_the_url_cannot_break_the_call(client: FlaskClient) -> None:
    for query in (
        "lang=xx",
        "lang=en&at=nowhere",
        "lang=en&at=answer&topic=nope",
        "lang=es&at=answer&topic=symptoms&part=999",
        "lang=en&at=cancers&page=-4",
        "lang=en&at=sites&cancer=spleen",
        "lang=en&menu=../../etc",
    ):
        response = signed_post(client, f"/voice?{query}", {"From": CALLER, "Digits": "9"})
        assert response.status_code == 200, query
        ElementTree.fromstring(response.data)


# Verbs and attributes from Twilio's TwiML reference that this line uses.
ALLOWED = {
    "Response": set(),
    "Gather": {
        "action",
        "method",
        "input",
        "numDigits",
        "finishOnKey",
        "timeout",
        "speechTimeout",
        "hints",
        "language",
    },
    "Say": {"voice", "language"},
    "prosody": {"rate"},
    "Play": set(),
    "Redirect": {"method"},
    "Dial": {"action", "method", "timeout"},
    "Hangup": set(),
}
VOICES = {"Polly.Joanna-Neural", "Polly.Lupe-Neural"}


def test_twiml_uses_only_documented_verbs_attributes_and_voices(client: FlaskClient) -> None:
    calls = [
        Call(client),
        call_in(client, "es"),
        press_each(call_in(client, "en"), "2").press("2"),
        press_each(call_in(client, "en"), "0"),
        press_each(call_in(client, "en"), "1").press("4"),
        press_each(cancers_menu(client, "es"), "555"),
    ]
    for call in calls:
        for node in call.root.iter():
            assert node.tag in ALLOWED, node.tag
            assert set(node.attrib) <= ALLOWED[node.tag], (node.tag, node.attrib)
            if node.tag == "Say":
                assert node.get("voice") in VOICES
        assert call.root.find("./Gather") is None or call.root.find("./Gather/Gather") is None


def test_an_error_inside_the_call_still_answers_with_twiml(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = call_in(client, "es")

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("ivr.voice.views.next_step", broken)
    call.press("2")
    assert call.heard() == [prompt("es", "voice_error")]
    redirect = call.root.find("./Redirect").text
    assert "err=1" in redirect and "lang=es" in redirect
    call.silence()  # Twilio follows the redirect; the menu fails again
    assert call.heard() == [prompt("es", "voice_fallback")]
    assert call.root.find("./Dial").text == "+18004226237"
    monkeypatch.undo()
    assert call_in(client, "en").heard()[0] == prompt("en", "voice_menu_main")


def test_after_an_error_the_menu_comes_back_without_a_wrong_key(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = call_in(client, "en")
    real = __import__("ivr.voice.views", fromlist=["next_step"]).next_step
    failures = iter([RuntimeError("once")])

    def fails_once(*args: object):  # type: ignore[no-untyped-def]
        for error in failures:
            raise error
        return real(*args)

    monkeypatch.setattr("ivr.voice.views.next_step", fails_once)
    call.press("2")
    assert call.heard() == [prompt("en", "voice_error")]
    assert call.silence().heard() == [prompt("en", "voice_menu_main")]


@pytest.mark.parametrize(("status", "hangs_up"), [("busy", False), ("completed", True)])
def test_a_transfer_from_the_welcome(client: FlaskClient, status: str, hangs_up: bool) -> None:
    call = Call(client, "+15559998888").press("0").dial_ends(status)
    assert call.hung_up is hangs_up
    if hangs_up:
        assert call.heard() == [
            prompt("en", "voice_transfer_done"),
            prompt("es", "voice_transfer_done"),
        ]
    else:
        assert call.heard() == [
            prompt("en", "voice_transfer_failed"),
            prompt("es", "voice_transfer_failed"),
            prompt("en", "voice_choose_language"),
            prompt("es", "voice_choose_language"),
        ]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("can someone have a tumor without a primary cancer", "unknown-primary"),
        ("whole table", None),
    ],
)
def test_speech_prefers_the_question_to_a_command(
    client: FlaskClient, words: str, expected: str | None
) -> None:
    call = call_in(client, "en").say(words)
    if expected:
        assert call.heard()[0] == CONTENT["en"].topic(expected).title
    else:
        assert call.heard()[0] == prompt("en", "voice_table_intro")
