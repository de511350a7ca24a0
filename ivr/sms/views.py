"""SMS webhooks: thin views that parse Twilio's form and render TwiML."""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import Message, MessagingResponse
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ivr.services import line
from ivr.sms.keywords import MediaKind, read_media
from ivr.sms.service import CHANNEL as SMS
from ivr.sms.whatsapp import CHANNEL as WHATSAPP
from ivr.sms.whatsapp import is_whatsapp, whatsapp_number
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
    sender, body, sid = form.get("From", ""), form.get("Body", ""), form.get("MessageSid", "")
    if is_whatsapp(sender):
        answer = services.sms.handle_whatsapp(services.store, sender, body, sid, _media(form))
        urls = (services.catalogue.url(id_, code, slow) for code, id_, slow in answer.recordings)
        return twiml(_whatsapp_twiml(answer.messages, tuple(url for url in urls if url)))
    reply = services.sms.handle(services.store, sender, body, sid, _media(form))
    return twiml(_reply_twiml(reply))


def _media(form: MultiDict[str, str]) -> MediaKind | None:
    """What came instead of words, read from Twilio's NumMedia, MediaContentType0, Latitude."""
    count = form.get("NumMedia", "0")
    types = [form.get("MediaContentType0", "")] if count.isdigit() and int(count) > 0 else []
    located = bool(form.get("Latitude") and form.get("Longitude"))
    return read_media(types, located)


@functools.lru_cache(maxsize=TWIML_CACHE_SIZE)
def _reply_twiml(reply: str | None) -> str:
    """The TwiML that sends reply, or sends nothing."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)


@functools.lru_cache(maxsize=TWIML_CACHE_SIZE)
def _whatsapp_twiml(messages: tuple[str, ...], media: tuple[str, ...]) -> str:
    """The TwiML that sends messages, then each recording as a message of its own."""
    response = MessagingResponse()
    for text in messages:
        response.message(text)
    for url in media:
        # WhatsApp shows an audio message without a caption: one recording a message, no body.
        message = Message()
        message.media(url)
        response.append(message)
    return str(response)


def _number(sender: str) -> str:
    """The number a sender's opt-out and language are kept under: WhatsApp's without prefix."""
    return (whatsapp_number(sender) or "") if is_whatsapp(sender) else sender


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: record an opt-out the line may have missed, else apologise."""
    sender = request.form.get("From", "")
    number = _number(sender)
    services = line()
    if number and services.sms.is_opt_out(request.form.get("Body", "")):
        channel = WHATSAPP if is_whatsapp(sender) else SMS
        try:
            services.sms.record_opt_out(services.store, number, channel)
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
    return _apology(_number(request.form.get("From", "")))


def _apology(number: str) -> Response:
    """A short apology in both languages, only to a number known not to have opted out."""
    services = line()
    response = MessagingResponse()
    if number and services.store.may_text(number):
        response.message(
            " / ".join(lang.prompt("sms_fallback") for lang in services.content.languages.values())
        )
    return twiml(response)
