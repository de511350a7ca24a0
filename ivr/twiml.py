"""Small helpers shared by the voice and SMS views for rendering TwiML."""

from __future__ import annotations

from flask import Response
from twilio.twiml import TwiML
from werkzeug.exceptions import HTTPException

# Amazon Polly neural voices Twilio offers for each language the line speaks.
VOICES = {"en": ("Polly.Joanna-Neural", "en-US"), "es": ("Polly.Lupe-Neural", "es-US")}


def say_voice(language: str) -> dict[str, str]:
    """The voice and language attributes for Twilio's Say verb in a language."""
    voice, code = VOICES[language]
    return {"voice": voice, "language": code}


def twiml(response: TwiML | str) -> Response:
    """A Flask response carrying TwiML (a tree, or one already made) as Twilio expects it."""
    return Response(str(response), mimetype="text/xml")


def is_refusal(error: Exception) -> bool:
    """True for a deliberate 4xx (403 unsigned, 405, 413): those stand; anything else is a fault."""
    return isinstance(error, HTTPException) and error.code is not None and error.code < 500
