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


# What a caller hears for a key, in each language ("press 2", "oprima 2").
PRESS = {"en": "press {}", "es": "oprima {}"}
# The targets: seconds of audio before an answer's first word.
FIRST_TIME_TARGET = {"en": 20.0, "es": 25.0}
RETURNING_TARGET = 10.0


def _prompts_before_answers(line: BenchLine) -> None:
    """Seconds of audio before each answer's first word, from the recordings' durations.

    Without barge-in the caller hears every prompt to its end; with barge-in (what the targets
    are about) they press each key as soon as it has been said, as the recordings' durations
    place it (the share of the text up to "press N"). A returning caller's time counts from
    the start of the main menu.
    """
    services = line.app.extensions["ivr"]
    content = services.content
    vocab = services.voice.vocab
    seconds_of = _durations(services)
    print(
        "seconds of audio before each answer's first word (its question, the fact sheet's"
        " heading),\nfrom the recordings' durations; keys: the language key and menu keys"
    )
    header = f"{'answer':<18} {'keys':>4}"
    for label in ("no barge-in", "first time", "returning"):
        header += f" {label + ' en':>15} {label + ' es':>15}"
    print(header)
    worst = {"first time en": 0.0, "first time es": 0.0, "returning": 0.0}
    for topic in content["en"].topics:
        keys = _keys_to(topic.id)
        row = f"{topic.id:<18} {len(keys) + 1:>4}"
        results: dict[str, dict[str, float]] = {"plain": {}, "barge": {}, "back": {}}
        for code, language_key in (("en", "1"), ("es", "2")):
            presses = (language_key, *keys)
            results["plain"][code] = _heard(content, vocab, seconds_of, topic.id, presses, code)
            results["barge"][code] = _heard(
                content, vocab, seconds_of, topic.id, presses, code, barge_in=True
            )
            results["back"][code] = _heard(
                content, vocab, seconds_of, topic.id, keys, code, barge_in=True, returning=True
            )
            worst[f"first time {code}"] = max(worst[f"first time {code}"], results["barge"][code])
            worst["returning"] = max(worst["returning"], results["back"][code])
        for kind in ("plain", "barge", "back"):
            row += f" {results[kind]['en']:>15.1f} {results[kind]['es']:>15.1f}"
        print(row)
    for code in ("en", "es"):
        seconds = worst[f"first time {code}"]
        verdict = "met" if seconds <= FIRST_TIME_TARGET[code] else "MISSED"
        print(
            f"first-time caller, {code}: at most {seconds:.1f} s "
            f"(target {FIRST_TIME_TARGET[code]:.0f} s: {verdict})"
        )
    verdict = "met" if worst["returning"] <= RETURNING_TARGET else "MISSED"
    print(
        f"returning caller, from the main menu: at most {worst['returning']:.1f} s "
        f"(target {RETURNING_TARGET:.0f} s: {verdict})"
    )


def _heard(  # type: ignore[no-untyped-def]
    content,
    vocab,
    seconds_of,
    topic_id: str,
    presses: tuple[str, ...],
    code: str,
    barge_in: bool = False,
    returning: bool = False,
) -> float:
    """Seconds of audio a caller hears before the first word of topic_id's answer."""
    heard = 0.0
    state = CallState()
    step = next_step(state, CallInput(remembered=code if returning else ""), content, vocab)
    said = step.say
    if returning:  # counted from the start of the main menu
        said = tuple(u for u in said if u.id != "prompt.voice_welcome_back")
    for digits in presses:
        heard += _until_key(said, digits, code, seconds_of) if barge_in else _all(said, seconds_of)
        step = next_step(step.state, CallInput(digits=digits), content, vocab)
        said = step.say
    # An answer starts with its question, the fact sheet's own heading, then its text.
    start = f"topic.{topic_id}.title"
    return heard + _all(said[: [u.id for u in said].index(start)], seconds_of)


def _all(said: tuple[Utterance, ...], seconds_of) -> float:  # type: ignore[no-untyped-def]
    return sum(seconds_of(u) for u in said)


def _until_key(said: tuple[Utterance, ...], key: str, code: str, seconds_of) -> float:  # type: ignore[no-untyped-def]
    """Seconds until key has been said ("press 2"), pressing as soon as it is."""
    heard = 0.0
    for utterance in said:
        phrase = PRESS[utterance.lang].format(key)
        at = utterance.text.find(phrase)
        if at >= 0:
            share = (at + len(phrase)) / len(utterance.text)
            return heard + share * seconds_of(utterance)
        heard += seconds_of(utterance)
    return heard  # never said: the caller heard it all


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
