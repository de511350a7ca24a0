"""SMS webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

from flask import Blueprint, Response
from twilio.twiml.messaging_response import MessagingResponse

from ivr.app import line
from ivr.twiml import twiml

bp = Blueprint("sms", __name__, url_prefix="/sms")


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: a short apology in both languages."""
    content = line().content
    response = MessagingResponse()
    response.message(" / ".join(lang.prompt("sms_fallback") for lang in content.languages.values()))
    return twiml(response)
