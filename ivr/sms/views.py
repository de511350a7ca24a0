"""SMS webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from ivr.services import line
from ivr.twiml import is_refusal, twiml

bp = Blueprint("sms", __name__, url_prefix="/sms")
log = logging.getLogger(__name__)
# Replies are the content's fixed texts (menus, summaries, pages), so their TwiML is kept.
TWIML_CACHE_SIZE = 2048


@bp.post("")
def incoming() -> Response:
    """A text from someone: answer it, or send nothing (opted out, over the limit, STOP)."""
    form = request.form
    services = line()
    reply = services.sms.handle(
        services.store, form.get("From", ""), form.get("Body", ""), form.get("MessageSid", "")
    )
    return twiml(_reply_twiml(reply))


@functools.lru_cache(maxsize=TWIML_CACHE_SIZE)
def _reply_twiml(reply: str | None) -> str:
    """The TwiML that sends reply, or sends nothing."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: record an opt-out the line may have missed, else apologise."""
    number = request.form.get("From", "")
    services = line()
    if number and services.sms.is_opt_out(request.form.get("Body", "")):
        try:
            services.sms.record_opt_out(services.store, number)
        except Exception:
            pass  # record_opt_out has logged it, loudly, with the number's hash
        return twiml(MessagingResponse())
    return _apology(number)


@bp.errorhandler(Exception)
def _error(error: Exception) -> Response | HTTPException:
    """Whatever failed, Twilio gets valid TwiML: an apology, or nothing if we may not text."""
    if is_refusal(error):
        return error  # type: ignore[return-value]
    log.exception("sms webhook failed")
    if line().sms.is_opt_out(request.form.get("Body", "")):
        return twiml(MessagingResponse())  # never answer a STOP with anything but silence
    return _apology(request.form.get("From", ""))


def _apology(number: str) -> Response:
    """A short apology in both languages, only to a number known not to have opted out."""
    services = line()
    response = MessagingResponse()
    if number and services.store.may_text(number):
        response.message(
            " / ".join(lang.prompt("sms_fallback") for lang in services.content.languages.values())
        )
    return twiml(response)
