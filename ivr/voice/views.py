"""Voice webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr.app import Line, line
from ivr.twiml import say_voice, twiml
from ivr.voice.flow import CallInput, CallState, Step, next_step
from ivr.voice.render import render
from ivr.voice.speech import vocabularies
from ivr.voice.texting import send_text

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)

MAX_SPEECH = 300


@bp.record_once
def _build_vocabularies(setup) -> None:  # type: ignore[no-untyped-def]
    # Built once at start-up: no matching tables are made inside a request.
    setup.app.extensions["ivr.voice"] = vocabularies(setup.app.extensions["ivr"].content)


@bp.post("")
def call() -> Response:
    """Every step of a call: read the state from the URL, decide, render the next step."""
    services = line()
    content = services.content
    state = CallState.from_query(request.args, content)
    form = request.form
    heard = CallInput(
        digits="".join(ch for ch in form.get("Digits", "") if ch in "0123456789*#")[:4],
        speech=form.get("SpeechResult", "")[:MAX_SPEECH],
        timeout=request.args.get("timeout") == "1",
        dial_status=form.get("DialCallStatus", "failed") if request.args.get("dial") == "1" else "",
        can_text=services.settings.sms_sending_enabled,
    )
    if not state.lang and not (heard.digits or heard.speech or heard.timeout):
        heard = replace(heard, remembered=_remembered_language(services, form.get("From", "")))
    vocab = current_app.extensions["ivr.voice"]
    step = next_step(state, heard, content, vocab)
    _carry_out(services, step, form.get("From", ""))
    if step.then == "text":
        result = _text_answer(services, step, form.get("From", ""))
        step = next_step(step.state, CallInput(text_result=result, can_text=True), content, vocab)
    return twiml(_render(services, step))


@bp.post("/status")
def status() -> Response:
    """Twilio's call status callback: record how the call ended, anonymously."""
    form = request.form
    duration = form.get("CallDuration", "")
    detail = (
        f"{form.get('CallStatus', 'unknown')[:20]} {duration[:6] if duration.isdigit() else '?'}s"
    )
    _record(line(), "call-end", "", "", detail)
    return Response(status=204)


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: apologise and put the caller through to a person."""
    services = line()
    response = VoiceResponse()
    for language in services.content.languages.values():
        response.say(language.prompt("voice_fallback"), **say_voice(language.code))
    response.dial(services.settings.transfer_number)
    return twiml(response)


def _render(services: Line, step: Step) -> VoiceResponse:
    settings = services.settings
    vocab = current_app.extensions["ivr.voice"][step.state.lang]
    return render(
        step,
        url=lambda **query: url_for("voice.call", **query),
        audio_url=lambda _id, _lang, _slow: None,
        vocab=vocab,
        gather_timeout=settings.gather_timeout,
        transfer_number=settings.transfer_number,
    )


def _remembered_language(services: Line, number: str) -> str:
    if not number:
        return ""
    try:
        return services.store.language_for(number) or ""
    except Exception:
        log.warning("language preference unavailable", exc_info=True)
        return ""


def _carry_out(services: Line, step: Step, number: str) -> None:
    """Remember the language and record the event a step asks for; never fail the call."""
    if step.remember and number:
        try:
            services.store.set_language(number, step.remember)
        except Exception:
            log.warning("language preference not saved", exc_info=True)
    if step.event:
        kind, topic = step.event
        _record(services, kind, topic, step.state.lang, None)


def _record(services: Line, kind: str, topic: str, language: str, detail: str | None) -> None:
    try:
        services.store.record_event(
            "voice", kind, topic=topic or None, language=language or None, detail=detail
        )
    except Exception:
        log.warning("usage event not recorded", exc_info=True)


def _text_answer(services: Line, step: Step, number: str) -> str:
    language = services.content[step.state.lang]
    topic = language.topic(step.state.topic)
    return send_text(services.settings, services.store, number, topic.summary)
