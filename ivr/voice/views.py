"""Voice webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

from flask import Blueprint, Response
from twilio.twiml.voice_response import VoiceResponse

from ivr.app import line
from ivr.twiml import say_voice, twiml

bp = Blueprint("voice", __name__, url_prefix="/voice")


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: apologise and put the caller through to a person."""
    services = line()
    response = VoiceResponse()
    for language in services.content.languages.values():
        response.say(language.prompt("voice_fallback"), **say_voice(language.code))
    response.dial(services.settings.transfer_number)
    return twiml(response)
