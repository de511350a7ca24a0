"""Voice webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ivr.app import Line, after_response, line
from ivr.content import LanguageContent
from ivr.events import UsageEvent
from ivr.numbers import E164
from ivr.sms.replies import summary_reply
from ivr.sms.service import remember_sent
from ivr.twiml import is_refusal, say_voice, twiml
from ivr.voice.flow import CallInput, CallState, Step, Utterance, next_step
from ivr.voice.render import render
from ivr.voice.speech import Vocabulary, vocabularies
from ivr.voice.texting import send_text

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)

CHANNEL = "voice"
EXTENSION = "ivr.voice"
MAX_SPEECH = 300
# Every caller walks the same menus, so the steps of calls are few: 40,000 steps of varied
# calls hold about 2,000 different ones. Each URL's state and each step's TwiML are made once.
CACHE_SIZE = 4096


@dataclass(frozen=True)
class _Voice:
    """What the voice views build once at start-up: no request builds a table or a tree twice."""

    vocab: Mapping[str, Vocabulary]
    state_of: Callable[[bytes], tuple[CallState, bool, bool]]
    twiml_of: Callable[[tuple[Utterance, ...], CallState, str, str], str]

    @classmethod
    def build(cls, app: Flask) -> _Voice:
        """The vocabularies, and the two caches, for app."""
        services: Line = app.extensions["ivr"]
        vocab = vocabularies(services.content)

        @functools.lru_cache(maxsize=CACHE_SIZE)
        def state_of(query: bytes) -> tuple[CallState, bool, bool]:
            """The call's state in a query string, and whether it says timeout=1 and dial=1."""
            args = MultiDict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
            state = CallState.from_query(args, services.content)
            return state, args.get("timeout") == "1", args.get("dial") == "1"

        @functools.lru_cache(maxsize=CACHE_SIZE)
        def twiml_of(say: tuple[Utterance, ...], state: CallState, then: str, root: str) -> str:
            """The TwiML of a step (root: the app's URL prefix, which its action URLs carry)."""
            step = Step(say, state, then)
            return str(
                render(
                    step,
                    url=lambda **query: url_for("voice.call", **query),
                    audio_url=services.catalogue.url,
                    vocab=vocab[state.lang],
                    gather_timeout=services.settings.gather_timeout,
                    transfer_number=services.settings.transfer_number,
                )
            )

        return cls(vocab, state_of, twiml_of)


@bp.record_once
def _build(setup) -> None:  # type: ignore[no-untyped-def]
    setup.app.extensions[EXTENSION] = _Voice.build(setup.app)


@bp.post("")
def call() -> Response:
    """Every step of a call: read the state from the URL, decide, render the next step."""
    services, voice = line(), current_app.extensions[EXTENSION]
    content = services.content
    state, timeout, dial = voice.state_of(request.query_string)
    form = request.form
    number, call_sid = form.get("From", ""), form.get("CallSid", "")
    heard = CallInput(
        digits="".join(ch for ch in form.get("Digits", "") if ch in "0123456789*#")[:4],
        speech=form.get("SpeechResult", "")[:MAX_SPEECH],
        timeout=timeout,
        dial_status=form.get("DialCallStatus", "failed") if dial else "",
        # Only to a real number: a withheld or odd caller ID gets no "text me this".
        can_text=services.settings.sms_sending_enabled and bool(E164.match(number)),
    )
    if not state.lang and not (heard.digits or heard.speech or heard.timeout):
        heard = replace(heard, remembered=_remembered_language(services, number))
    step = next_step(state, heard, content, voice.vocab)
    _carry_out(services, step, number, call_sid)
    if step.then == "text":
        result = _text_answer(services, step, number)
        text_sent = CallInput(text_result=result, can_text=True)
        step = next_step(step.state, text_sent, content, voice.vocab)
        _carry_out(services, step, number, call_sid)
    return twiml(voice.twiml_of(step.say, step.state, step.then, request.script_root))


@bp.post("/status")
def status() -> Response:
    """Twilio's call status callback: record how the call ended, anonymously."""
    services = line()
    form = request.form
    duration = form.get("CallDuration", "")
    seconds = duration if duration.isdigit() and len(duration) < 7 else "?"
    call_sid = form.get("CallSid", "")
    try:
        last = services.store.last_event(call_sid) if call_sid else None
    except Exception:
        log.warning("last place unavailable", exc_info=True)
        last = None
    place = " ".join(part for part in (last or ("menu", None)) if part)
    detail = f"{form.get('CallStatus', 'unknown')[:20]} {seconds}s, last: {place}"
    services.bookkeeping.record(UsageEvent(CHANNEL, "call-end", detail=detail, call_sid=call_sid))
    return Response(status=204)


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: apologise and put the caller through to a person."""
    services = line()
    return _apologise_and_connect(services, list(services.content.languages.values()))


def _apologise_and_connect(services: Line, languages: list[LanguageContent]) -> Response:
    response = VoiceResponse()
    for language in languages:
        response.say(language.prompt("voice_fallback"), **say_voice(language.code))
    response.dial(services.settings.transfer_number)
    return twiml(response)


@bp.errorhandler(Exception)
def _error(error: Exception) -> Response | HTTPException:
    """Whatever failed, the caller hears an apology and the menu, or a person; never a 500."""
    if is_refusal(error):
        return error  # type: ignore[return-value]
    log.exception("voice webhook failed")
    services = line()
    code = request.args.get("lang", "")
    languages = (
        [services.content[code]]
        if code in services.content.languages
        else list(services.content.languages.values())
    )
    if request.args.get("err") == "1":
        # The menu failed as well: put the caller through to a person instead of looping.
        return _apologise_and_connect(services, languages)
    response = VoiceResponse()
    for language in languages:
        response.say(language.prompt("voice_error"), **say_voice(language.code))
    query = {"lang": code, "at": "menu"} if len(languages) == 1 else {}
    response.redirect(url_for("voice.call", **query, err="1"), method="POST")
    return twiml(response)


def _remembered_language(services: Line, number: str) -> str:
    if not number:
        return ""
    try:
        return services.store.language_for(number) or ""
    except Exception:
        log.warning("language preference unavailable", exc_info=True)
        return ""


def _carry_out(services: Line, step: Step, number: str, call_sid: str) -> None:
    """Queue the step's bookkeeping: the language to remember and the usage event."""
    if step.remember and number:
        services.bookkeeping.set_language(number, step.remember)
    if step.event:
        kind, topic = step.event
        language = step.state.lang or None
        event = UsageEvent(CHANNEL, kind, topic=topic or None, language=language, call_sid=call_sid)
        services.bookkeeping.record(event)


def _text_answer(services: Line, step: Step, number: str) -> str:
    """Text the answer's summary, as a texter would get it; MORE by text then continues it."""
    language = services.content[step.state.lang]
    topic = language.topic(step.state.topic)
    # The same per-number limit as texting the line, so calls cannot run up the bill either.
    if not current_app.extensions["ivr.sms"].limit.allow(services.store.number_key(number)):
        return "limited"
    body = summary_reply(language, topic)
    result = send_text(services.settings, services.store, number, body)
    if result == "sent":
        after_response(lambda: remember_sent(services.store, number, topic, body))
    return result
