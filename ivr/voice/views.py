"""Voice webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ivr.content import LanguageContent
from ivr.events import UsageEvent
from ivr.numbers import E164
from ivr.services import Line, after_response, line
from ivr.texting import Texter
from ivr.twiml import is_refusal, say_voice, twiml
from ivr.voice.flow import next_step
from ivr.voice.protocol import (
    CallInput,
    DialStatus,
    EventKind,
    RecordEvent,
    RememberLanguage,
    SendAnswerText,
    SendNumberText,
    Step,
    Texting,
)
from ivr.voice.steps import step_events

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)

CHANNEL = "voice"
MAX_SPEECH = 300


@bp.post("")
def call() -> Response:
    """Every step of a call: read the state from the URL, decide, render the next step."""
    services = line()
    at = services.voice.state_of(request.query_string)
    form = request.form
    number, call_sid = form.get("From", ""), form.get("CallSid", "")
    texter = services.texter
    # Only to a real number: a withheld or odd caller ID gets no "text me this".
    can_text = texter is not None and bool(E164.match(number))
    speech = form.get("SpeechResult", "")[:MAX_SPEECH]
    heard = CallInput(
        digits="".join(ch for ch in form.get("Digits", "") if ch in "0123456789*#")[:4],
        speech=speech,
        language=services.guesser.guess(speech) if speech else None,
        timeout=at.timeout,
        dial=DialStatus.parse(form.get("DialCallStatus", "")) if at.dialled else None,
        can_text=can_text,
        texting=lambda: texter.permission(number) if texter else Texting.UNKNOWN,
    )
    if not at.state.lang and not (heard.digits or heard.speech or heard.timeout):
        heard = replace(heard, remembered=_remembered_language(services, number))
    step = next_step(at.state, heard, services.content, services.voice.vocab)
    _carry_out(services, step, number, call_sid)
    for event in step_events(at.state, heard, step, call_sid):
        services.bookkeeping.record(event)
    return twiml(services.voice.twiml(step, request.script_root))


@bp.post("/status")
def status() -> Response:
    """Twilio's call status callback: note that the call ended, anonymously.

    Where it ended and how it went are worked out from the call's steps by the bookkeeping
    writer, as it writes this (see steps.end_calls): the callback reads and waits for nothing.
    """
    services = line()
    call_sid = request.form.get("CallSid", "")
    services.bookkeeping.record(UsageEvent(CHANNEL, EventKind.CALL_END, call_sid=call_sid))
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
    query: dict[str, Any] = {"lang": code, "at": "menu"} if len(languages) == 1 else {}
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
    """Carry out the step's effects: queue its bookkeeping, text after the response."""
    for effect in step.effects:
        if isinstance(effect, RememberLanguage) and number:
            services.bookkeeping.set_language(number, effect.lang)
        elif isinstance(effect, RecordEvent):
            language = step.state.lang or None
            event = UsageEvent(CHANNEL, effect.kind, effect.topic, language, call_sid=call_sid)
            services.bookkeeping.record(event)
        elif isinstance(effect, SendAnswerText) and services.texter and number:
            body = services.sms.replies[effect.lang].summaries[effect.topic_id]
            send = functools.partial(_send, services.texter, number, body, effect.topic_id)
            after_response(send)
        elif isinstance(effect, SendNumberText) and services.texter and number:
            body = services.sms.replies[effect.lang].cis_number
            after_response(functools.partial(_send, services.texter, number, body, None))


def _send(texter: Texter, number: str, body: str, topic_id: str | None) -> None:
    if not texter.send(number, body, topic_id):
        log.warning("a text a caller asked for could not be sent")
