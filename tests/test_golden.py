"""The whole line, walked through its signed webhooks, answers exactly as recorded in tests/golden/.

Recorded before the call flow and the SMS code were rewritten as a typed protocol: afterwards
every TwiML document and every reply must be the same, byte for byte. The one exception is what
a caller hears after "text me this", kept in files of its own (*.text-me-this.json, with the
texts sent): the text will then be sent after the response, and that part recorded again.

tests/golden/ holds one file per variant and part, mapping "<url> | <what the caller did>" to
the digest of the answer, and bodies.json.gz with each answer once. To record again, only when
a change of behaviour is meant (add -k text_me_this, say, to record one part):

    GOLDEN_RECORD=1 scripts/test tests/test_golden.py"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from ivr import create_app

from .conftest import CALLER, TOKEN, signed_post
from .golden_walk import (
    BODIES,
    FEW_SPEECH,
    LINE_NUMBER,
    SPEECH,
    TEXT_SPEECH,
    Recording,
    Request,
    coverage,
    differences,
    digest,
    expected_coverage,
    flat,
    missing_coverage,
    nested,
    post_voice,
    read_bodies,
    read_json,
    save_bodies,
    sms_conversations,
    walk_sms,
    walk_voice,
    write_json,
)
from .twilio_fakes import ACCOUNT_SID, MessagesApi, messages_api

# Not IVR_*: conftest clears those before each test.
RECORD = os.environ.get("GOLDEN_RECORD", "") not in ("", "0")
GOLDEN = Path(__file__).resolve().parent / "golden"
AUDIO_DIR = Path(__file__).resolve().parents[1] / "audio"
RERECORD = "GOLDEN_RECORD=1 scripts/test tests/test_golden.py"
# Callers whose language the line remembers, each set up before its first welcome is heard.
CHOSE_ENGLISH = "+15550000011"
CHOSE_SPANISH = "+15550000012"
TEXTED_ESPANOL = "+15550000013"
WELCOMES = {
    "a new caller": CALLER,
    "a caller who chose English on an earlier call": CHOSE_ENGLISH,
    "a caller who chose Spanish on an earlier call": CHOSE_SPANISH,
    "a caller who texted ESPANOL": TEXTED_ESPANOL,
}
WITHHELD = "anonymous"
OPTED_OUT = {"en": "+15550000021", "es": "+15550000022"}  # texted STOP
LIMITED = {"en": "+15550000031", "es": "+15550000032"}  # sent 10 texts this minute
MENU = {code: f"/voice?lang={code}&at=menu" for code in ("en", "es")}
ANSWER = {code: f"/voice?lang={code}&at=answer&topic=symptoms&tips=1" for code in ("en", "es")}
ANSWER_END = {
    code: f"/voice?lang={code}&at=answer-end&topic=symptoms&part=3&tips=1" for code in ("en", "es")
}


@dataclass(frozen=True)
class Variant:
    """One way the line can be set up, walked whole."""

    name: str
    audio: bool  # the committed recordings are played instead of <Say>
    texting: bool  # the line can send texts, so "text me this" is offered
    speech: tuple[str, ...]  # said at the first place of each kind
    # "text me this" at each answer, not only by hand: a text costs the walk as much as ten
    # other requests, so one variant does it.
    text_everywhere: bool = False


# With the recordings the line is walked as it runs in production, able to text; the requests
# made by hand (by_hand) from a withheld caller ID play what is heard when it cannot.
VARIANTS = (
    Variant("voice-say", audio=False, texting=False, speech=SPEECH),
    Variant(
        "voice-say-texting", audio=False, texting=True, speech=FEW_SPEECH, text_everywhere=True
    ),
    Variant("voice-audio-texting", audio=True, texting=True, speech=FEW_SPEECH),
)
TEXTING = tuple(variant for variant in VARIANTS if variant.texting)


@pytest.fixture(scope="module")
def walks() -> dict[str, Recording]:
    """Each variant's walk, made once for both of its tests."""
    return {}


def walked(variant: Variant, config: dict[str, Any], walks: dict[str, Recording]) -> Recording:
    """The variant's walk: made now, or earlier in this module."""
    if variant.name not in walks:
        walks[variant.name] = walk(variant, config)
    return walks[variant.name]


@contextlib.contextmanager
def line(variant: Variant, config: dict[str, Any]) -> Iterator[tuple[FlaskClient, MessagesApi]]:
    """A client of the line set up as variant says, and the stand-in for Twilio's Messages API."""
    settings = dict(config)
    if variant.audio:
        settings["AUDIO_DIR"] = str(AUDIO_DIR)
    with messages_api(TOKEN) as api:
        if variant.texting:
            settings |= {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_FROM": LINE_NUMBER,
                "TWILIO_API_URL": api.url,
            }
        app = create_app(settings)
        app.testing = True
        try:
            yield app.test_client(), api
        finally:
            app.extensions["ivr"].store.engine.dispose()


def walk(variant: Variant, config: dict[str, Any]) -> Recording:
    """Every request of the walk, and the few set up by hand, with the TwiML of each answer."""
    with line(variant, config) as (client, api):
        sent = (lambda: api.sent) if variant.texting else None
        starts = welcomes(client)
        recording = walk_voice(client, starts, variant.speech, sent, variant.text_everywhere)
        if variant.texting:
            by_hand(client, api, recording)
    return recording


def welcomes(client: FlaskClient) -> list[Request]:
    """The start of a call: from a new caller, and from callers whose language is remembered."""
    post_voice(client, Request("/voice", (("Digits", "1"),), "", CHOSE_ENGLISH))
    post_voice(client, Request("/voice", (("Digits", "2"),), "", CHOSE_SPANISH))
    texted = {"From": TEXTED_ESPANOL, "To": LINE_NUMBER, "Body": "ESPANOL"}
    signed_post(client, "/sms", texted | {"MessageSid": "SM" + "e5" * 16})
    return [Request("/voice", (), f"welcome, {who}", number) for who, number in WELCOMES.items()]


def by_hand(client: FlaskClient, api: MessagesApi, recording: Recording) -> None:
    """What the walk leaves out: a withheld caller ID, texts refused, limited or in a row."""
    for code in ("en", "es"):
        withheld = [
            Request(MENU[code], (("Digits", "2"),), "digits=2, caller ID withheld", WITHHELD),
            Request(ANSWER[code], (("Digits", "3"),), "digits=3, caller ID withheld", WITHHELD),
            Request(ANSWER_END[code], (("Digits", "7"),), "digits=7, caller ID withheld", WITHHELD),
        ]
        for request in withheld:
            recording.main[request.key] = post_voice(client, request)
        stop = {"From": OPTED_OUT[code], "Body": "STOP", "MessageSid": f"SM{code}-stop"}
        signed_post(client, "/sms", stop)
        for index in range(10):  # the limit of replies to one number: 10 a minute
            menu = {"From": LIMITED[code], "Body": "MENU", "MessageSid": f"SM{code}-{index}"}
            signed_post(client, "/sms", menu)
        cases = {
            "from a number that texted STOP": (OPTED_OUT[code], 0),
            "the number's 11th text in a minute": (LIMITED[code], 0),
            "the Messages API refuses (400)": ("", 400),
        }
        for case, (number, refusal) in cases.items():
            request = Request(ANSWER[code], (("Digits", "3"),), f"digits=3, {case}", number)
            api.fail_with = refusal
            ask(client, api, recording, request)
        api.fail_with = 0
        for words in TEXT_SPEECH:
            said = (("SpeechResult", words), ("Confidence", "0.9"))
            ask(client, api, recording, Request(ANSWER[code], said, f"speech={words!r}"))
        url = ANSWER[code]
        for count in range(1, 5):  # the line sends three texts a call at most
            request = Request(url, (("Digits", "3"),), f"digits=3, text {count} of the call")
            gather = ElementTree.fromstring(ask(client, api, recording, request)).find("./Gather")
            assert gather is not None
            url = gather.get("action", "")


def ask(client: FlaskClient, api: MessagesApi, recording: Recording, request: Request) -> str:
    """Ask for a text by request; record what the caller hears, and the text sent if any."""
    before = len(api.sent)
    body = recording.texting[request.key] = post_voice(client, request)
    if api.sent[before:]:
        recording.texted[request.key] = api.sent[-1]["Body"]
    return body


# -- comparing and recording -------------------------------------------------------------------


def compare(name: str, sections: Mapping[str, Mapping[str, str]]) -> None:
    """Record sections (name -> request key -> body) as golden file name, or compare with it.

    The file maps each request to the digest of its answer; each answer is kept once, in BODIES.
    """
    path = GOLDEN / f"{name}.json"
    if RECORD:
        write_json(
            path, {section: nested(_digests(bodies)) for section, bodies in sections.items()}
        )
        save_bodies(GOLDEN, {digest(b): b for bodies in sections.values() for b in bodies.values()})
        return
    assert path.exists(), f"no golden file {path}; record it with {RERECORD}"
    golden, table = read_json(path), read_bodies(GOLDEN)
    report = []
    for section, bodies in sections.items():
        recorded = flat(golden.get(section, {}))
        lost = sorted({h for h in recorded.values() if h not in table})
        assert not lost, f"{BODIES} lacks {len(lost)} bodies of {name}, such as {lost[0]}"
        expected = {key: table[recorded[key]] for key in recorded}
        found = differences(expected, bodies)
        if found:
            report.append(f"== {name}: {section}\n{found}")
    if report:
        message = "\n\n".join(report) + f"\n\nIf the change is meant, record again: {RERECORD}"
        pytest.fail(message, pytrace=False)


def _digests(bodies: Mapping[str, str]) -> dict[str, str]:
    return {key: digest(body) for key, body in bodies.items()}


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.name)
def test_the_call_answers_as_recorded(
    variant: Variant, config: dict[str, Any], walks: dict[str, Recording]
) -> None:
    recording = walked(variant, config, walks)
    assert missing_coverage(recording.main, (f"welcome, {who}" for who in WELCOMES)) == {}
    compare(variant.name, {"heard": recording.main})


@pytest.mark.parametrize("variant", TEXTING, ids=lambda variant: variant.name)
def test_text_me_this_answers_as_recorded(
    variant: Variant, config: dict[str, Any], walks: dict[str, Recording]
) -> None:
    recording = walked(variant, config, walks)
    assert len(recording.texting) > len(recording.texted) > 0
    if variant.text_everywhere:
        assert coverage(recording.texting)["answer"] == expected_coverage()["answer"]
    sections = {"heard": recording.texting, "texted": recording.texted}
    compare(f"{variant.name}.text-me-this", sections)


def test_texts_are_answered_as_recorded(client: FlaskClient) -> None:
    conversations = walk_sms(client, sms_conversations())
    replies = {
        f"{name} | {index + 1}": reply
        for name, replies in conversations.items()
        for index, reply in enumerate(replies)
    }
    compare("sms", {"replies": replies})


def test_golden_files_are_compact() -> None:
    size = sum(path.stat().st_size for path in GOLDEN.iterdir())
    assert size < 1_000_000, f"tests/golden/ holds {size:,} bytes"
