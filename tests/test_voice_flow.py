"""The call's state machine and speech matching, tested without HTTP."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr.content import load_content
from ivr.voice.flow import CallInput, CallState, next_step
from ivr.voice.speech import Heard, vocabularies

CONTENT = load_content()
VOCAB = vocabularies(CONTENT)


def step(state: CallState, **heard: object):  # type: ignore[no-untyped-def]
    return next_step(state, CallInput(**heard), CONTENT, VOCAB)  # type: ignore[arg-type]


def test_state_survives_the_url() -> None:
    state = CallState(
        lang="es", at="answer", topic="symptoms", part=2, slow=True, quiet=1, texts=2, tips=True
    )
    query = state.to_query()
    assert CallState.from_query(query, CONTENT) == state
    assert CallState().to_query() == {}
    assert all(isinstance(value, str) for value in query.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"lang": "fr"}, CallState()),
        ({"lang": "en", "at": "nowhere"}, CallState(lang="en", at="menu")),
        ({"lang": "en", "at": "answer", "topic": "x"}, CallState(lang="en", at="menu")),
        (
            {"lang": "en", "at": "answer", "topic": "symptoms", "part": "99"},
            CallState(lang="en", at="answer", topic="symptoms", part=3),
        ),
        ({"lang": "en", "at": "cancers", "page": "abc"}, CallState(lang="en", at="cancers")),
        ({"lang": "en", "at": "sites", "cancer": "spleen"}, CallState(lang="en", at="sites")),
        ({"quiet": "2"}, CallState(quiet=2)),
    ],
)
def test_a_bad_state_falls_back_to_somewhere_safe(
    query: dict[str, str], expected: CallState
) -> None:
    assert CallState.from_query(query, CONTENT) == expected


def test_first_call_is_bilingual_and_remembered_language_skips_it() -> None:
    first = step(CallState())
    assert {u.lang for u in first.say} == {"en", "es"}
    assert first.state.lang == "" and first.then == "listen"
    returning = step(CallState(), remembered="es")
    assert returning.state == CallState(lang="es", at="menu")
    assert returning.remember == ""  # already stored
    chosen = step(CallState(), digits="2")
    assert chosen.remember == "es" and chosen.state.lang == "es"


def test_answers_advance_on_silence_and_menus_count_it() -> None:
    answer = CallState(lang="en", at="answer", topic="symptoms", part=1, tips=True)
    assert step(answer, timeout=True).state.part == 2
    assert step(answer, timeout=True).state.quiet == 0
    menu = CallState(lang="en", at="menu")
    once = step(menu, timeout=True)
    assert once.state.quiet == 1 and once.then == "listen"
    assert step(once.state, timeout=True).state.quiet == 2
    assert step(replace(menu, quiet=2), timeout=True).then == "hangup"
    assert step(replace(menu, quiet=2), digits="5").state.quiet == 0


def test_every_spoken_thing_has_a_recording_id() -> None:
    known = {item.id for code in ("en", "es") for item in CONTENT[code].spoken()}
    states = [
        (CallState(), {}),
        (CallState(), {"digits": "1"}),
        (CallState(), {"remembered": "es"}),
        (CallState(lang="en", at="menu"), {"digits": "4"}),
        (CallState(lang="en", at="menu", menu="spread"), {"digits": "1"}),
        (CallState(lang="es", at="answer", topic="where-spread"), {"timeout": True}),
        (CallState(lang="es", at="cancers", page=3), {"digits": "5"}),
        (CallState(lang="en", at="answer", topic="symptoms"), {"digits": "2"}),
        (CallState(lang="en", at="menu"), {"timeout": True}),
        (CallState(lang="en", at="menu"), {"digits": "0"}),
    ]
    for state, heard in states:
        for utterance in step(state, **heard).say:
            assert utterance.id in known, utterance.id


def test_text_me_this_asks_the_view_to_send_and_counts_what_was_sent() -> None:
    answer = CallState(lang="en", at="answer", topic="symptoms", tips=True)
    ask = step(answer, digits="3", can_text=True)
    assert ask.then == "text" and ask.say == ()
    sent = step(ask.state, text_result="sent", can_text=True)
    assert sent.state.texts == 1 and sent.event == ("text", "symptoms")
    failed = step(ask.state, text_result="failed", can_text=True)
    assert failed.state.texts == 0 and failed.event is None


@pytest.mark.parametrize(
    ("code", "speech", "heard"),
    [
        ("en", "I want to talk to a person", Heard("command", "person")),
        ("en", "where does cancer spread", Heard("topic", "where-spread")),
        ("en", "how does cancer spread", Heard("topic", "how-spread")),
        ("en", "New treatments please", Heard("topic", "new-treatments")),
        ("en", "breast", Heard("cancer", "breast")),
        ("en", "español", Heard("command", "spanish")),
        ("es", "cáncer de pulmón", Heard("cancer", "lung")),
        ("es", "SÍNTOMAS", Heard("topic", "symptoms")),
        ("es", "quiero hablar con una persona", Heard("command", "person")),
        ("es", "más despacio por favor", Heard("command", "slower")),
        ("en", "purple elephants", None),
        ("en", "", None),
    ],
)
def test_speech_matches_the_longest_phrase(code: str, speech: str, heard: Heard | None) -> None:
    assert VOCAB[code].match(speech) == heard


def test_hints_fit_twilio_limits() -> None:
    for vocab in VOCAB.values():
        hints = vocab.hints.split(", ")
        assert 0 < len(hints) <= 500
        assert all(0 < len(hint) <= 100 for hint in hints)
        assert len(hints) == len(set(hints))
