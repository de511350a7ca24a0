"""Voice benchmark: time per /voice request in process, and prompts heard before each answer."""

from __future__ import annotations

from bench import BenchLine

from ivr.voice.flow import next_step
from ivr.voice.menus import MENUS, ToMenu, ToTopic
from ivr.voice.protocol import CallInput, CallState, MenuId, Utterance

CALL = {"CallSid": "CA" + "0" * 32, "From": "+15551230001", "To": "+15550001111"}
WORDS_PER_SECOND = 2.6  # about 155 words a minute, when no recording says how long it is

ROUTES = {
    "welcome (new caller)": ("/voice", {"From": "+15559990000"}),
    "choose language": ("/voice", {"Digits": "1"}),
    "main menu -> answer": ("/voice?lang=en&at=menu", {"Digits": "2"}),
    "submenu": ("/voice?lang=es&at=menu", {"Digits": "3"}),
    "next part (silence)": (
        "/voice?lang=en&at=answer&topic=how-spread&part=3&tips=1&timeout=1",
        {},
    ),
    "speech at menu": ("/voice?lang=es&at=menu", {"SpeechResult": "cuáles son los síntomas"}),
    "cancer sites": ("/voice?lang=en&at=cancers", {"Digits": "1"}),
    "whole table": ("/voice?lang=en&at=cancers&page=3", {"Digits": "5"}),
    "silence at menu": ("/voice?lang=en&at=menu&timeout=1", {}),
    "transfer": ("/voice?lang=en&at=menu", {"Digits": "0"}),
    "dial failed": ("/voice?lang=en&at=menu&dial=1", {"DialCallStatus": "busy"}),
    "status callback": ("/voice/status", {"CallStatus": "completed", "CallDuration": "60"}),
    "fallback": ("/voice/fallback", {}),
}


def run(line: BenchLine) -> None:
    """Print per-route timings, then the seconds of prompts before each answer starts."""
    voice = line.app.extensions["ivr"].voice

    def forget() -> None:
        voice.state_of.cache_clear()
        voice.twiml_of.cache_clear()

    print(f"{'':24} {'a step seen before':>28} {'a step seen for the first time':>32}")
    header = f"{'median ms':>10} {'p99 ms':>8} {'worker p99':>11}"
    print(f"{'route':<24} {header:>28} {header:>32}")
    worst = 0.0
    for name, (path, form) in ROUTES.items():
        (median, p99), (_, worker_p99) = line.time_route(path, CALL | form)
        (cold_median, cold_p99), (_, cold_worker) = line.time_route(
            path, CALL | form, before=forget
        )
        worst = max(worst, p99, cold_p99)
        print(
            f"{name:<24} {median:>10.3f} {p99:>8.3f} {worker_p99:>11.3f}"
            f" {cold_median:>13.3f} {cold_p99:>8.3f} {cold_worker:>11.3f}"
        )
    print(f"slowest p99 until the response: {worst:.3f} ms (target: under 1 ms)")
    print(
        "A step seen before takes its state and TwiML from the line's caches; the first time,"
        " both are made.\nWorker p99 includes what runs after the response in the request's"
        " thread; usage events and\nlanguage choices are queued for the bookkeeping thread."
    )
    print()
    _prompts_before_answers(line)


def _prompts_before_answers(line: BenchLine) -> None:
    services = line.app.extensions["ivr"]
    content = services.content
    vocab = services.voice.vocab
    seconds_of = _durations(services)
    print(f"{'answer':<18} {'keys':>5} {'en s':>6} {'es s':>6}   (first-time caller, no barge-in)")
    for topic in content["en"].topics:
        keys = _keys_to(topic.id)
        row = []
        for _code, language_key in (("en", "1"), ("es", "2")):
            heard = 0.0
            state = CallState()
            for digits in ("", language_key, *keys):
                step = next_step(state, CallInput(digits=digits), content, vocab)
                said = step.say
                if digits == keys[-1]:
                    part = f"topic.{topic.id}.1"
                    said = tuple(u for u in said if u.id != part)
                heard += sum(seconds_of(u) for u in said)
                state = step.state
            row.append(heard)
        print(f"{topic.id:<18} {len(keys) + 1:>5} {row[0]:>6.1f} {row[1]:>6.1f}")
    print("(keys counts the language choice; callers may press or speak at any time)")


def _keys_to(topic_id: str) -> tuple[str, ...]:
    wanted = ToTopic(topic_id)
    for number, choice in enumerate(MENUS[MenuId.MAIN].choices, 1):
        if choice == wanted:
            return (str(number),)
        if isinstance(choice, ToMenu) and wanted in MENUS[choice.menu].choices:
            return (str(number), str(MENUS[choice.menu].choices.index(wanted) + 1))
    raise LookupError(topic_id)


def _durations(services: object):  # type: ignore[no-untyped-def]
    """Seconds an utterance lasts: from its recording when there is one, else estimated."""
    catalogue = getattr(services, "catalogue", None)

    def seconds_of(utterance: Utterance) -> float:
        duration = catalogue.duration(utterance.id, utterance.lang) if catalogue else None
        return duration or len(utterance.text.split()) / WORDS_PER_SECOND

    return seconds_of
