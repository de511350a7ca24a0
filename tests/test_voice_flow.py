"""The call's state machine and speech matching, tested without HTTP."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr.content import load_content
from ivr.voice.codec import from_query, to_query
from ivr.voice.flow import ANYWHERE, AT_PLACE, next_step, understand
from ivr.voice.protocol import (
    CallInput,
    CallState,
    CancerAsked,
    Choice,
    Command,
    EventKind,
    MenuId,
    Place,
    RecordEvent,
    RememberLanguage,
    SendAnswerText,
    Texting,
    Then,
    TopicAsked,
)
from ivr.voice.speech import Said, vocabularies

CONTENT = load_content()
VOCAB = vocabularies(CONTENT)


def step(state: CallState, **heard: object):  # type: ignore[no-untyped-def]
    return next_step(state, CallInput(**heard), CONTENT, VOCAB)  # type: ignore[arg-type]


def test_state_survives_the_url() -> None:
    state = CallState(
        lang="es", at=Place.ANSWER, topic="symptoms", part=2, slow=True, quiet=1, texts=2, tips=True
    )
    query = to_query(state)
    assert query["at"] == "answer"
    assert from_query(query, CONTENT) == state
    assert to_query(CallState()) == {}
    assert all(isinstance(value, str) for value in query.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"lang": "fr"}, CallState()),
        ({"lang": "en", "at": "nowhere"}, CallState(lang="en", at=Place.MENU)),
        ({"lang": "en", "menu": "nowhere"}, CallState(lang="en", at=Place.MENU)),
        ({"lang": "en", "at": "answer", "topic": "x"}, CallState(lang="en", at=Place.MENU)),
        (
            {"lang": "en", "at": "answer", "topic": "symptoms", "part": "99"},
            CallState(lang="en", at=Place.ANSWER, topic="symptoms", part=3),
        ),
        (
            {"lang": "en", "at": "cancers", "page": "abc"},
            CallState(lang="en", at=Place.CANCERS),
        ),
        (
            {"lang": "en", "at": "sites", "cancer": "spleen"},
            CallState(lang="en", at=Place.SITES),
        ),
        ({"quiet": "2"}, CallState(quiet=2)),
    ],
)
def test_a_bad_state_falls_back_to_somewhere_safe(
    query: dict[str, str], expected: CallState
) -> None:
    assert from_query(query, CONTENT) == expected


def test_first_call_is_bilingual_and_remembered_language_skips_it() -> None:
    first = step(CallState())
    assert {u.lang for u in first.say} == {"en", "es"}
    assert first.state.lang == "" and first.then is Then.LISTEN
    assert first.effects == (RecordEvent(EventKind.CALL),)
    returning = step(CallState(), remembered="es")
    assert returning.state == CallState(lang="es", at=Place.MENU)
    assert not any(isinstance(e, RememberLanguage) for e in returning.effects)  # already stored
    chosen = step(CallState(), digits="2")
    assert RememberLanguage("es") in chosen.effects and chosen.state.lang == "es"


def test_answers_advance_on_silence_and_menus_count_it() -> None:
    answer = CallState(lang="en", at=Place.ANSWER, topic="symptoms", part=1, tips=True)
    assert step(answer, timeout=True).state.part == 2
    assert step(answer, timeout=True).state.quiet == 0
    menu = CallState(lang="en", at=Place.MENU)
    once = step(menu, timeout=True)
    assert once.state.quiet == 1 and once.then is Then.LISTEN
    assert step(once.state, timeout=True).state.quiet == 2
    assert step(replace(menu, quiet=2), timeout=True).then is Then.HANGUP
    assert step(replace(menu, quiet=2), digits="5").state.quiet == 0


def test_every_spoken_thing_has_a_recording_id() -> None:
    known = {item.id for code in ("en", "es") for item in CONTENT[code].spoken()}
    states = [
        (CallState(), {}),
        (CallState(), {"digits": "1"}),
        (CallState(), {"remembered": "es"}),
        (CallState(lang="en", at=Place.MENU), {"digits": "4"}),
        (CallState(lang="en", at=Place.MENU, menu=MenuId.SPREAD), {"digits": "1"}),
        (CallState(lang="es", at=Place.ANSWER, topic="where-spread"), {"timeout": True}),
        (CallState(lang="es", at=Place.CANCERS, page=3), {"digits": "5"}),
        (CallState(lang="en", at=Place.ANSWER, topic="symptoms"), {"digits": "2"}),
        (CallState(lang="en", at=Place.MENU), {"timeout": True}),
        (CallState(lang="en", at=Place.MENU), {"digits": "0"}),
    ]
    for state, heard in states:
        for utterance in step(state, **heard).say:
            assert utterance.id in known, utterance.id


def test_text_me_this_asks_first_and_leaves_the_sending_to_the_view() -> None:
    answer = CallState(lang="en", at=Place.ANSWER, topic="symptoms", tips=True)
    sent = step(answer, digits="3", can_text=True, texting=lambda: Texting.ALLOWED)
    assert sent.state.texts == 1
    assert sent.say[0].id == "prompt.voice_text_sending"
    assert sent.effects == (
        SendAnswerText("en", "symptoms"),
        RecordEvent(EventKind.TEXT, "symptoms"),
    )
    for refusal, prompt in [
        (Texting.OPTED_OUT, "voice_text_opted_out"),
        (Texting.LIMITED, "voice_text_limit"),
        (Texting.UNKNOWN, "voice_text_failed"),
    ]:
        refused = step(answer, digits="3", can_text=True, texting=lambda r=refusal: r)
        assert refused.state.texts == 0 and refused.effects == ()
        assert refused.say[0].id == f"prompt.{prompt}"


def test_texting_is_asked_only_when_the_caller_asks_for_a_text() -> None:
    def never() -> Texting:
        raise AssertionError("asked without a request for a text")

    answer = CallState(lang="en", at=Place.ANSWER, topic="symptoms", tips=True)
    for digits in "0124569*#":
        step(answer, digits=digits, can_text=True, texting=never)
    full = replace(answer, texts=3)
    assert step(full, digits="3", can_text=True, texting=never).say[0].id == (
        "prompt.voice_text_limit"
    )


@pytest.mark.parametrize(
    ("state", "digits", "meaning"),
    [
        (CallState(lang="en", at=Place.MENU, menu=MenuId.TREATMENT), "2", Choice(2)),
        (CallState(lang="en", at=Place.MENU), "8", Command.OTHER_LANGUAGE),
        (CallState(lang="en", at=Place.MENU, menu=MenuId.SPREAD), "8", Choice(8)),
        (CallState(lang="en", at=Place.ANSWER, topic="symptoms"), "3", Command.TEXT),
        (CallState(lang="en", at=Place.ANSWER_END, topic="symptoms"), "1", Command.NEXT),
        (CallState(lang="en", at=Place.CANCERS), "4", Choice(4)),
        (CallState(lang="en", at=Place.SITES), "0", Command.PERSON),
        (CallState(lang="en", at=Place.SITES), "#", Command.MAIN_MENU),
    ],
)
def test_a_key_means_one_thing_at_each_place(
    state: CallState, digits: str, meaning: Command | Choice
) -> None:
    assert understand(state, CallInput(digits=digits), VOCAB["en"]) == meaning


def test_every_command_and_place_has_a_handler() -> None:
    assert set(AT_PLACE) == set(Place)
    place_commands = {
        Command.NEXT,
        Command.SLOWER,
        Command.TEXT,
        Command.MORE,
        Command.YES,
        Command.NO,
    }
    assert set(ANYWHERE) | place_commands == set(Command)


def test_key_2_in_the_treatment_menu_plays_new_treatments() -> None:
    menu = CallState(lang="en", at=Place.MENU, menu=MenuId.TREATMENT)
    played = step(menu, digits="2")
    assert played.state.at is Place.ANSWER and played.state.topic == "new-treatments"
    assert played.effects == (RecordEvent(EventKind.ANSWER, "new-treatments"),)


@pytest.mark.parametrize(
    ("code", "speech", "heard"),
    [
        ("en", "I want to talk to a person", Command.PERSON),
        ("en", "where does cancer spread", TopicAsked("where-spread")),
        ("en", "how does cancer spread", TopicAsked("how-spread")),
        ("en", "New treatments please", TopicAsked("new-treatments")),
        ("en", "breast", CancerAsked("breast")),
        ("en", "español", Command.SPANISH),
        ("es", "cáncer de pulmón", CancerAsked("lung")),
        ("es", "SÍNTOMAS", TopicAsked("symptoms")),
        ("es", "quiero hablar con una persona", Command.PERSON),
        ("es", "más despacio por favor", Command.SLOWER),
        ("en", "purple elephants", None),
        ("en", "", None),
    ],
)
def test_speech_matches_the_longest_phrase(code: str, speech: str, heard: Said | None) -> None:
    assert VOCAB[code].match(speech) == heard


def test_hints_fit_twilio_limits() -> None:
    for vocab in VOCAB.values():
        hints = vocab.hints.split(", ")
        assert 0 < len(hints) <= 500
        assert all(0 < len(hint) <= 100 for hint in hints)
        assert len(hints) == len(set(hints))
