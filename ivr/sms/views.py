"""SMS webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from twilio.twiml.messaging_response import MessagingResponse

from ivr.app import line
from ivr.sms.service import SmsService, may_text
from ivr.twiml import twiml

bp = Blueprint("sms", __name__, url_prefix="/sms")
EXTENSION = "ivr.sms"


@bp.record_once
def _build_service(state: BlueprintSetupState) -> None:
    """Build the vocabulary, replies and rate limiter once, when the app registers SMS."""
    services = state.app.extensions["ivr"]
    state.app.extensions[EXTENSION] = SmsService.build(services.content, services.settings)


@bp.post("")
def incoming() -> Response:
    """A text from someone: answer it, or send nothing (opted out, over the limit, STOP)."""
    form = request.form
    reply = current_app.extensions[EXTENSION].handle(
        line().store, form.get("From", ""), form.get("Body", ""), form.get("MessageSid", "")
    )
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return twiml(response)


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: a short apology in both languages, unless the number opted out."""
    services = line()
    response = MessagingResponse()
    if may_text(services.store, request.form.get("From", "")):
        response.message(
            " / ".join(lang.prompt("sms_fallback") for lang in services.content.languages.values())
        )
    return twiml(response)
