"""What a call step tells the organisation: where the caller was, how they answered, where it led.

Pure: the views give it the state before a step, what the caller did and the step the flow
decided, and record what it returns. Nothing here is about who called: a call is known to the
store only by a keyed hash of its CallSid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ivr.content import SITES_TOPIC
from ivr.events import CALL_LOG_KINDS, UsageEvent
from ivr.voice.protocol import CallInput, CallState, EventKind, Place, Step, Then

CHANNEL = "voice"
log = logging.getLogger(__name__)
# Reads the events already recorded during some calls, by CallSid (see Store.calls_events).
EarlierEvents = Callable[[Collection[str]], Mapping[str, Sequence[UsageEvent]]]


class Answered(StrEnum):
    """How a caller answered at a place; the value is what a step event keeps as its detail."""

    START = "start"  # the call's first request, or a redirect with nothing pressed or said
    KEY = "key"
    SPEECH = "speech"
    SILENCE = "silence"
    LISTENED = "listened"  # an answer's part ended and the next began: listening, not silence
    NOT_UNDERSTOOD = "not-understood"  # words that meant nothing there
    WRONG_KEY = "wrong-key"  # a key that does nothing there


class Outcome(StrEnum):
    """How a call went, for containment: the detail of its call-end event."""

    CONTAINED = "contained"  # heard at least one answer and was not put through to anyone
    TRANSFERRED = "transferred"  # put through to a person or the crisis line
    NO_ANSWER_HEARD = "no-answer-heard"  # ended before any answer, and was not put through


# Where a step led when the line dialled or hung up, instead of a place.
WHERE_THEN = {Then.DIAL: "person", Then.DIAL_CRISIS: "crisis-line", Then.HANGUP: "goodbye"}
PUT_THROUGH = frozenset({"person", "crisis-line"})


def where(state: CallState) -> str:
    """The place a caller is at, naming the menu when it is one ("main", "treatment", ...)."""
    return state.menu.value if state.at is Place.MENU else state.at.value


def step_events(
    before: CallState, heard: CallInput, step: Step, call_sid: str
) -> tuple[UsageEvent, ...]:
    """The events of one call step: the step itself (or a transfer's end), and an answer left."""
    language = step.state.lang or before.lang or None
    reached = WHERE_THEN.get(step.then, where(step.state))
    playing = step.state.at in (Place.ANSWER, Place.ANSWER_END) and step.then is not Then.HANGUP
    common: dict[str, Any] = {
        "language": language,
        "call_sid": call_sid,
        "place": where(before),
        "reached": reached,
        "topic": step.state.topic if playing else None,
        "part": step.state.part if step.state.at is Place.ANSWER else None,
    }
    if heard.dial is not None:
        # The topic of a transfer's end is which line it was: a person or the crisis line.
        common["topic"] = "crisis-line" if before.at is Place.CRISIS else "person"
        first = UsageEvent(CHANNEL, EventKind.TRANSFER_END, detail=heard.dial.value, **common)
    else:
        first = UsageEvent(CHANNEL, EventKind.STEP, detail=answered(before, heard, step), **common)
    left = _answer_left(before, step, language, call_sid)
    return (first,) if left is None else (first, left)


def answered(before: CallState, heard: CallInput, step: Step) -> Answered:
    """How the caller answered at the place they were."""
    if heard.timeout:
        return Answered.LISTENED if before.at is Place.ANSWER else Answered.SILENCE
    if not (heard.digits or heard.speech):
        return Answered.START
    if _missed(before, step):
        return Answered.NOT_UNDERSTOOD if heard.speech else Answered.WRONG_KEY
    return Answered.KEY if heard.digits else Answered.SPEECH


def _missed(before: CallState, step: Step) -> bool:
    """True when the flow heard nothing it could use: its count of misses went up."""
    if not before.lang:  # the welcome counts no misses: a sorry keeps the call there
        return not step.state.lang and step.then is Then.LISTEN
    return step.state.misses > before.misses


def _answer_left(
    before: CallState, step: Step, language: str | None, call_sid: str
) -> UsageEvent | None:
    """When a step leaves an answer: the part the caller stopped in, or "all" of it."""
    if before.at is not Place.ANSWER:
        return None
    same = step.state.topic == before.topic and step.then is not Then.HANGUP
    if same and step.state.at is Place.ANSWER:
        return None  # the next part, the one before, or the same again: still listening
    whole = same and (
        step.state.at is Place.ANSWER_END
        or (before.topic == SITES_TOPIC and step.state.at is Place.CANCERS)
    )
    return UsageEvent(
        CHANNEL,
        EventKind.HEARD,
        topic=before.topic,
        language=language,
        detail="all" if whole else "stopped",
        call_sid=call_sid,
        part=before.part,
    )


@dataclass(frozen=True)
class CallSoFar:
    """What one call's recorded events say about it when it ends."""

    place: str | None = None  # where the caller was when the call ended
    topic: str | None = None  # the answer playing then, if any
    part: int | None = None
    language: str | None = None
    outcome: Outcome = Outcome.NO_ANSWER_HEARD


def call_so_far(events: Iterable[UsageEvent]) -> CallSoFar:
    """The end of a call, from its events in the order they happened: only from the kinds the
    store keeps one by one (CALL_LOG_KINDS), so events read back give the same end."""
    heard_answer = transferred = False
    place = topic = language = None
    part = None
    for event in events:
        if event.kind not in CALL_LOG_KINDS:
            continue
        language = event.language or language
        if event.kind in (EventKind.ANSWER, EventKind.SITES):
            heard_answer = True
        if event.kind == EventKind.TRANSFER or event.reached in PUT_THROUGH:
            transferred = True
        if event.kind == EventKind.STEP:
            place, topic, part = event.reached, event.topic, event.part
        elif event.kind == EventKind.TRANSFER_END:
            place, topic, part = event.reached, None, None
    if transferred:
        outcome = Outcome.TRANSFERRED
    elif heard_answer:
        outcome = Outcome.CONTAINED
    else:
        outcome = Outcome.NO_ANSWER_HEARD
    return CallSoFar(place, topic, part, language, outcome)


def end_calls(batch: Sequence[UsageEvent], earlier: EarlierEvents) -> list[UsageEvent]:
    """The batch, with each call's end that the status callback left open worked out.

    The status callback only says that a call ended (a call-end event with no detail); the
    bookkeeping writer calls this before it writes a batch. A call's events are the ones written
    before (read once for the whole batch) and the ones ahead of its end in the batch itself,
    so no request waits for a write, and the writer reads once per batch, not once per call.
    """
    ending = {event.call_sid for event in batch if _open_end(event) and event.call_sid}
    if not any(_open_end(event) for event in batch):
        return list(batch)
    try:
        written = earlier(ending) if ending else {}
    except Exception:
        log.warning("earlier events of ended calls unreadable; the batch's own used", exc_info=True)
        written = {}
    queued: dict[str, list[UsageEvent]] = {sid: list(written.get(sid, ())) for sid in ending}
    done: list[UsageEvent] = []
    for event in batch:
        if _open_end(event):
            ended = call_so_far(sorted(queued.get(event.call_sid or "", ()), key=_when))
            event = replace(
                event,
                topic=ended.topic,
                language=ended.language,
                detail=ended.outcome.value,
                place=ended.place,
                part=ended.part,
            )
        elif event.call_sid in queued:
            queued[event.call_sid].append(event)
        done.append(event)
    return done


def _open_end(event: UsageEvent) -> bool:
    """A call's end as the status callback records it: how the call went is still to be found."""
    return event.kind == EventKind.CALL_END and event.detail is None


def _when(event: UsageEvent) -> datetime:
    """When an event happened, in UTC (a database may give it back without its zone)."""
    at = event.occurred_at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
