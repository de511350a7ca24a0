"""`ivr demo-traffic`: a realistic mix of calls and texts through a running line's signed webhooks.

Each call follows the TwiML the line answers, as Twilio would: keys, words, silences, answers
heard in part or to the end, transfers that connect or find no one, and Twilio's status
callback at the end. Texts come from many numbers in both languages, with MORE, opt-outs and
opt-ins, and words the line does not understand. Every number is a fictional 555 number.
"""

from __future__ import annotations

import functools
import random
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from xml.etree import ElementTree

from ivr.simulator.terminal import LINE, Webhooks, post_text


@dataclass(frozen=True)
class Key:
    """The caller presses keys."""

    digits: str


@dataclass(frozen=True)
class Say:
    """The caller says words (Twilio's speech result)."""

    words: str


@dataclass(frozen=True)
class Dial:
    """A transfer ends with this DialCallStatus."""

    status: str


class Quiet(Enum):
    """The caller does nothing: listens on, or stays silent; or hangs up."""

    WAIT = "wait"
    HANG_UP = "hang-up"


WAIT, HANG_UP = Quiet.WAIT, Quiet.HANG_UP
Move = Key | Say | Dial | Quiet


# (what the caller does, how likely): keys and words that a caller at a menu might use.
CALL_SCRIPTS: tuple[tuple[tuple[Move, ...], int], ...] = (
    ((Key("1"), Key("2"), WAIT, WAIT, WAIT, Key("#"), Key("1"), WAIT), 6),  # symptoms, to the end
    ((Key("1"), Key("1"), WAIT, HANG_UP), 4),  # what is it, left in part 2
    ((Key("2"), Key("2"), Key("1"), WAIT, Key("3")), 3),  # Spanish, symptoms, text me this
    ((Key("1"), WAIT, WAIT, WAIT), 2),  # says nothing: the line says goodbye
    ((Key("1"), Say("symptoms"), WAIT, WAIT, Key("0"), Dial("completed")), 3),
    ((Key("1"), Key("0"), Dial("no-answer"), Key("2")), 2),  # a person, no answer
    ((Key("2"), Say("tratamiento"), WAIT, HANG_UP), 3),
    # Wrong keys: a person offered, then asked whether to connect; "no".
    ((Key("1"), Key("6"), Key("6"), Key("6"), Key("2")), 2),
    ((Key("1"), Say("what is the weather"), Say("banana bread"), HANG_UP), 2),
    ((Key("1"), Key("3"), Key("1"), WAIT, HANG_UP), 3),  # treatment menu
    ((Key("1"), Key("4"), Say("breast"), Key("2"), HANG_UP), 2),  # where it spreads, sites
    ((Key("1"), Key("7"), Key("2"), HANG_UP), 2),  # more time, by key
    ((Key("1"), Say("I want to die"), HANG_UP), 1),
    ((Key("2"), Say("cuánto tiempo me queda"), HANG_UP), 1),
    ((WAIT, WAIT, WAIT), 1),  # never chooses a language
)
TEXTS: tuple[tuple[str, int], ...] = (
    ("SYMPTOMS", 6),
    ("MORE", 4),
    ("SINTOMAS", 4),
    ("MAS", 2),
    ("treatment", 3),
    ("TRATAMIENTO", 2),
    ("SITES BREAST", 2),
    ("MENU", 2),
    ("HELP", 1),
    ("AYUDA", 1),
    ("STOP", 2),
    ("START", 1),
    ("PARAR", 1),
    ("what about my dog", 5),
    ("hola que tal", 5),
    ("clinical trials near me", 5),
    ("how long do I have", 1),
)


@dataclass
class Traffic:
    """What was sent, for the summary printed at the end."""

    calls: int = 0
    texts: int = 0
    failures: int = 0


def demo_traffic(
    webhooks: Webhooks, calls: int = 120, texts: int = 160, seed: int = 14, workers: int = 4
) -> Traffic:
    """Send calls and texts through webhooks; how many, and how many requests failed."""
    chooser = random.Random(seed)
    scripts = [script for script, weight in CALL_SCRIPTS for _ in range(weight)]
    bodies = [body for body, weight in TEXTS for _ in range(weight)]
    # Fictional 555-01xx numbers: a new one for each call, so each call chooses its language
    # (a returning caller skips that), and a few dozen texters, so words reach 11 numbers.
    callers = [f"+1555011{n:04d}" for n in range(calls)]
    numbers = [f"+1555010{n:04d}" for n in range(60)]
    jobs: list[Callable[[], bool]] = [
        functools.partial(_call, webhooks, caller, chooser.choice(scripts)) for caller in callers
    ]
    jobs += [
        functools.partial(_text, webhooks, numbers[n % len(numbers)], chooser.choice(bodies))
        for n in range(texts)
    ]
    chooser.shuffle(jobs)
    traffic = Traffic()
    with ThreadPoolExecutor(workers) as pool:
        for ok in pool.map(lambda job: job(), jobs):
            traffic.failures += not ok
    traffic.calls, traffic.texts = calls, texts
    return traffic


def _text(webhooks: Webhooks, number: str, body: str) -> bool:
    status, _ = post_text(webhooks, body, number)
    return status == 200


def _call(webhooks: Webhooks, number: str, script: tuple[Move, ...]) -> bool:
    """One call through the script; then Twilio's status callback."""
    sid = "CA" + secrets.token_hex(16)
    base = {"CallSid": sid, "From": number, "To": LINE, "CallStatus": "in-progress"}
    ok = True
    status, body = webhooks.post("/voice", base)
    for move in script:
        if status != 200:
            ok = False
            break
        root = ElementTree.fromstring(body)
        request = _next_request(root, move)
        if request is None:
            break  # hung up, or the line ended the call
        path, form = request
        status, body = webhooks.post(path, base | form)
    end = base | {"CallStatus": "completed", "CallDuration": "60"}
    return ok and webhooks.post("/voice/status", end)[0] == 204


def _next_request(root: ElementTree.Element, move: Move) -> tuple[str, dict[str, str]] | None:
    """The webhook Twilio would call next when the caller makes move, or None: the call ends."""
    if move is HANG_UP or root.find("./Hangup") is not None:
        return None
    gather, redirect, dial = root.find("./Gather"), root.find("./Redirect"), root.find("./Dial")
    if isinstance(move, Dial):
        return (
            (dial.get("action", ""), {"DialCallStatus": move.status}) if dial is not None else None
        )
    if move is WAIT:
        return (redirect.text or "", {}) if redirect is not None else None
    if gather is None:
        return None
    if isinstance(move, Say):
        return gather.get("action", ""), {"SpeechResult": move.words, "Confidence": "0.9"}
    assert isinstance(move, Key)
    return gather.get("action", ""), {"Digits": move.digits}
