"""Every kind of event a call records: each step, a transfer's end, an answer left, a call's end."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.content import load_content
from ivr.events import CALL_LOG_KINDS, MOMENTS, STEP_KINDS, UsageEvent, words_not_understood
from ivr.voice.flow import next_step
from ivr.voice.protocol import (
    CallInput,
    CallState,
    DialStatus,
    EventKind,
    MenuId,
    Place,
    RecordEvent,
)
from ivr.voice.speech import vocabularies
from ivr.voice.steps import (
    Answered,
    CallSoFar,
    Outcome,
    call_so_far,
    end_calls,
    step_events,
)

from .conftest import CALLER, PUBLIC_URL, counted, signature, signed_post
from .twilio_fakes import Call

CONTENT = load_content()
VOCAB = vocabularies(CONTENT)
MENU = CallState(lang="en", at=Place.MENU, menu=MenuId.MAIN)
PLAYING = CallState(lang="en", at=Place.ANSWER, topic="symptoms", part=2, tips=True)


def events(state: CallState, **heard: object) -> tuple[UsageEvent, ...]:
    said = CallInput(**heard)  # type: ignore[arg-type]
    return step_events(state, said, next_step(state, said, CONTENT, VOCAB), "CA1")


@pytest.mark.parametrize(
    ("state", "heard", "answered", "reached"),
    [
        (CallState(), {}, Answered.START, "welcome"),
        (CallState(), {"digits": "1"}, Answered.KEY, "main"),
        (CallState(), {"digits": "5"}, Answered.WRONG_KEY, "welcome"),
        (CallState(), {"timeout": True}, Answered.SILENCE, "welcome"),
        (MENU, {"digits": "2"}, Answered.KEY, "answer"),
        (MENU, {"speech": "symptoms"}, Answered.SPEECH, "answer"),
        (MENU, {"speech": "the weather today"}, Answered.NOT_UNDERSTOOD, "main"),
        (MENU, {"digits": "6"}, Answered.WRONG_KEY, "main"),
        (MENU, {"timeout": True}, Answered.SILENCE, "main"),
        (MENU, {"digits": "0"}, Answered.KEY, "person"),
        (PLAYING, {"timeout": True}, Answered.LISTENED, "answer"),
    ],
)
def test_each_step_says_where_how_and_where_it_led(
    state: CallState, heard: dict[str, object], answered: Answered, reached: str
) -> None:
    step = events(state, **heard)[0]
    assert (step.kind, step.detail, step.reached) == (EventKind.STEP, answered, reached)
    assert step.place == (state.menu.value if state.at is Place.MENU else state.at.value)


def test_a_step_into_an_answer_names_it_and_its_part() -> None:
    step = events(PLAYING, timeout=True)[0]
    assert (step.topic, step.part) == ("symptoms", 3)


@pytest.mark.parametrize(
    ("heard", "detail"), [({"timeout": True}, "all"), ({"digits": "#"}, "stopped")]
)
def test_leaving_an_answer_records_the_part_or_all_of_it(
    heard: dict[str, object], detail: str
) -> None:
    last = CallState(lang="en", at=Place.ANSWER, topic="symptoms", part=3, tips=True)
    left = events(last, **heard)[-1]
    assert (left.kind, left.topic, left.part, left.detail) == (
        EventKind.HEARD,
        "symptoms",
        3,
        detail,
    )


def test_a_transfers_end_is_its_status_and_which_line() -> None:
    (end,) = events(MENU, dial=DialStatus.BUSY)
    assert (end.kind, end.detail, end.topic) == (EventKind.TRANSFER_END, "busy", "person")
    crisis = CallState(lang="en", at=Place.CRISIS)
    (end,) = events(crisis, dial=DialStatus.NO_ANSWER)
    assert (end.detail, end.topic) == ("no-answer", "crisis-line")


def test_more_time_and_escalation_are_recorded() -> None:
    more = next_step(MENU, CallInput(digits="7"), CONTENT, VOCAB)
    assert RecordEvent(EventKind.MORE_TIME) in more.effects
    missed = CallInput(digits="6")
    once = next_step(MENU, missed, CONTENT, VOCAB)
    twice = next_step(once.state, missed, CONTENT, VOCAB)
    thrice = next_step(twice.state, missed, CONTENT, VOCAB)
    assert RecordEvent(EventKind.OFFERED_PERSON) in twice.effects
    assert RecordEvent(EventKind.ASKED_TO_CONNECT) in thrice.effects
    assert not {e for e in once.effects if isinstance(e, RecordEvent)}


def test_every_moment_is_an_event_kind_or_a_texting_one() -> None:
    kinds = {kind.value for kind in EventKind}
    assert set(MOMENTS) <= kinds
    assert set(STEP_KINDS) <= kinds


@pytest.mark.parametrize(
    ("kinds", "outcome"),
    [
        ([EventKind.CALL, EventKind.ANSWER], Outcome.CONTAINED),
        ([EventKind.CALL, EventKind.SITES, EventKind.TRANSFER], Outcome.TRANSFERRED),
        ([EventKind.CALL], Outcome.NO_ANSWER_HEARD),
    ],
)
def test_how_a_call_ended(kinds: list[EventKind], outcome: Outcome) -> None:
    recorded = [UsageEvent("voice", kind, language="en") for kind in kinds]
    recorded.append(UsageEvent("voice", EventKind.STEP, language="es", reached="main"))
    ended = call_so_far(recorded)
    assert (ended.outcome, ended.place, ended.language) == (outcome, "main", "es")


def test_a_calls_end_reads_only_the_kinds_the_store_keeps_one_by_one() -> None:
    assert CALL_LOG_KINDS <= {kind.value for kind in EventKind}
    kept = [UsageEvent("voice", EventKind.STEP, language="es", reached="main")]
    others = [
        UsageEvent("voice", kind, topic="symptoms", language="en", reached="person", part=2)
        for kind in EventKind
        if kind not in CALL_LOG_KINDS
    ]
    assert others  # call, language, heard, call-end, ...
    assert call_so_far(kept + others) == call_so_far(kept)
    assert call_so_far(kept) == CallSoFar("main", None, None, "es", Outcome.NO_ANSWER_HEARD)


def test_the_status_callback_records_where_the_call_ended(app: Flask, client: FlaskClient) -> None:
    call = Call(client).press("1").press("2").silence()  # English, symptoms, into part 2
    assert call.gather is not None
    form = {"CallSid": "CA" + "0" * 32, "CallStatus": "completed", "CallDuration": "40"}
    assert signed_post(client, "/voice/status", form).status_code == 204
    store = app.extensions["ivr"].store
    ends = counted(store, EventKind.CALL_END)
    assert [
        (e["place"], e["topic"], e["part"], e["detail"], e["language"], e["count"]) for e in ends
    ] == [("answer", "symptoms", 2, Outcome.CONTAINED, "en", 1)]
    # Of the call, only what its end is worked out from is kept one by one: its steps.
    kept = store.call_events("CA" + "0" * 32)
    assert [e.kind for e in kept] == [
        EventKind.STEP,
        EventKind.STEP,
        EventKind.ANSWER,
        EventKind.STEP,
        EventKind.STEP,
    ]


def ended(sid: str | None = "CA1") -> UsageEvent:
    """A call's end as the status callback records it: how it went is still open."""
    return UsageEvent("voice", EventKind.CALL_END, call_sid=sid)


def written(*events: UsageEvent) -> Callable[[Collection[str]], dict[str, list[UsageEvent]]]:
    """Reads as Store.calls_events does, from events already written."""

    def read(sids: Collection[str]) -> dict[str, list[UsageEvent]]:
        asked.append(sorted(sids))
        found: dict[str, list[UsageEvent]] = {}
        for event in events:
            if event.call_sid in sids:
                found.setdefault(event.call_sid, []).append(event)
        return found

    asked: list[list[str]] = []
    read.asked = asked  # type: ignore[attr-defined]
    return read


def test_a_calls_end_is_worked_out_from_steps_in_the_same_batch() -> None:
    answer = UsageEvent("voice", EventKind.ANSWER, topic="symptoms", call_sid="CA1")
    steps = [*events(CallState(), digits="1"), answer, *events(MENU, digits="2")]
    other = UsageEvent("voice", EventKind.STEP, reached="person", call_sid="CA2")
    batch = end_calls([*steps, other, ended()], written())
    end = batch[-1]
    assert batch[:-1] == [*steps, other]
    assert (end.detail, end.place, end.topic, end.part, end.language) == (
        Outcome.CONTAINED,
        "answer",
        "symptoms",
        1,
        "en",
    )


def test_a_calls_end_reads_the_steps_written_before_once_for_the_batch() -> None:
    before = (
        UsageEvent("voice", EventKind.CALL, call_sid="CA1"),
        UsageEvent("voice", EventKind.STEP, reached="main", language="es", call_sid="CA1"),
        UsageEvent("voice", EventKind.TRANSFER, call_sid="CA2"),
        UsageEvent("voice", EventKind.STEP, reached="person", call_sid="CA2"),
    )
    read = written(*before)
    first, second = end_calls([ended("CA1"), ended("CA2")], read)
    assert (first.detail, first.place, first.language) == (Outcome.NO_ANSWER_HEARD, "main", "es")
    assert (second.detail, second.place) == (Outcome.TRANSFERRED, "person")
    assert read.asked == [["CA1", "CA2"]]  # type: ignore[attr-defined]


def test_a_batch_with_no_call_ending_reads_nothing() -> None:
    batch = [*events(MENU, digits="2"), UsageEvent("sms", EventKind.ANSWER, topic="symptoms")]
    read = written()
    assert end_calls(batch, read) == batch
    assert read.asked == []  # type: ignore[attr-defined]


def test_steps_written_late_by_another_worker_are_put_back_in_order() -> None:
    # The later step was written first: the call ended where the later one led.
    later = UsageEvent("voice", EventKind.STEP, reached="answer", topic="symptoms", call_sid="CA1")
    earlier = UsageEvent(
        "voice",
        EventKind.STEP,
        reached="main",
        call_sid="CA1",
        occurred_at=later.occurred_at.replace(tzinfo=None) - timedelta(seconds=5),
    )
    end = end_calls([earlier, ended()], written(later))[-1]
    assert (end.place, end.topic) == ("answer", "symptoms")


def test_an_end_with_no_call_sid_or_an_unreadable_database_still_gets_an_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def down(sids: Collection[str]) -> dict[str, list[UsageEvent]]:
        raise OSError("database down")

    (no_sid,) = end_calls([ended(None)], down)
    assert (no_sid.detail, no_sid.place) == (Outcome.NO_ANSWER_HEARD, None)
    step = UsageEvent("voice", EventKind.STEP, reached="main", call_sid="CA1")
    _, end = end_calls([step, ended()], down)
    assert (end.detail, end.place) == (Outcome.NO_ANSWER_HEARD, "main")
    assert "unreadable" in caplog.text


def test_an_end_already_worked_out_is_kept() -> None:
    done = UsageEvent("voice", EventKind.CALL_END, detail=Outcome.CONTAINED, call_sid="CA1")
    read = written()
    assert end_calls([done], read) == [done]
    assert read.asked == []  # type: ignore[attr-defined]


def test_the_status_callback_right_after_the_last_step_lands_in_one_batch(
    app: Flask, client: FlaskClient
) -> None:
    # No flush between the last step and the callback: both wait in the same queue.
    call = Call(client).press("1")
    sid = "CA" + "0" * 32
    for request_path, form in (
        (call.gather.get("action", ""), {"CallSid": sid, "From": CALLER, "Digits": "2"}),
        ("/voice/status", {"CallSid": sid, "CallStatus": "completed"}),
    ):
        headers = {"X-Twilio-Signature": signature(PUBLIC_URL + request_path, form)}
        assert client.post(request_path, data=form, headers=headers).status_code in (200, 204)
    assert app.extensions["ivr"].bookkeeping.flush()
    ends = counted(app.extensions["ivr"].store, EventKind.CALL_END)
    assert [(end["place"], end["topic"], end["detail"]) for end in ends] == [
        ("answer", "symptoms", Outcome.CONTAINED)
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("What about my DOG?", ("what", "about", "my", "dog")),
        ("call me at 555-321-7788 or +1 555 321 7788", ("call", "me", "at", "or")),
        ("abc123 x9y ok", ("ok",)),
        ("¿Cuánto tiempo? tiempo", ("cuanto", "tiempo")),
        ("supercalifragilisticexpialidocious yes", ("yes",)),
        ("a b c d e f g h i j k l m n o p", ()),
        (
            "one two three four five six seven eight nine ten",
            ("one", "two", "three", "four", "five", "six", "seven", "eight"),
        ),
    ],
)
def test_words_not_understood_keep_no_digit_and_no_long_word(
    text: str, words: tuple[str, ...]
) -> None:
    assert words_not_understood(text) == words
