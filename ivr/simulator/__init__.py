"""Try the line without a phone: a local page that calls and texts the real webhooks.

Off unless IVR_SIMULATOR is on (`ivr serve` turns it on). The page cannot sign requests
itself, so the server signs for it, only for its own /voice and /sms URLs; that is why the
simulator must never be on where strangers can reach it.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import RequestValidator

from ivr.security import WEBHOOK_PREFIXES
from ivr.segments import segments
from ivr.services import Line, line
from ivr.simulator.carrier import TWILIO_LANGUAGE, twilio_reply, why_silent
from ivr.simulator.outbox import Outbox

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    template_folder="templates",
    static_folder="static",
)
FAKE_ACCOUNT_SID = "AC" + "5" * 32  # what `ivr serve` uses so "text me this" reaches the outbox


LOOPBACK = ("127.", "::1")


@bp.before_request
def _local_only() -> None:
    """The simulator signs requests, so it answers only this machine, never through a proxy."""
    remote = request.remote_addr or ""
    if not remote.startswith(LOOPBACK) or "X-Forwarded-For" in request.headers:
        abort(403)


def captions(app_line: Line) -> dict[str, str]:
    """The text of every recording the line can play, by its URL, for the transcript."""
    out = {}
    for code, language in app_line.content.languages.items():
        for spoken in language.spoken():
            for slow in (False, True) if spoken.slow else (False,):
                url = app_line.catalogue.url(spoken.id, code, slow)
                if url:
                    out[url] = spoken.text
    return out


@bp.get("")
def page() -> ResponseReturnValue:
    """The simulator page."""
    return render_template("simulator.html")


@bp.post("/sign")
def sign() -> ResponseReturnValue:
    """Sign a webhook request for the page exactly as Twilio would."""
    services = line()
    body = request.get_json(silent=True) or {}
    path = str(body.get("path", ""))
    params = body.get("params") or {}
    if not path.startswith(WEBHOOK_PREFIXES) or not isinstance(params, dict):
        abort(400)
    url = services.settings.public_url + path
    validator = RequestValidator(services.settings.twilio_auth_token)
    signature = validator.compute_signature(url, {str(k): str(v) for k, v in params.items()})
    return jsonify(signature=signature)


@bp.get("/captions")
def captions_view() -> ResponseReturnValue:
    """Recording URL to text, so the transcript shows what each <Play> says."""
    return jsonify(captions(line()))


@bp.post("/segments")
def count_segments() -> ResponseReturnValue:
    """How many SMS segments a text takes, and the language it is clearly written in, if any."""
    text = str((request.get_json(silent=True) or {}).get("text", ""))
    result = segments(text)
    language = line().guesser.guess(text)
    return jsonify(
        encoding=result.encoding, units=result.units, count=result.count, language=language
    )


@bp.post("/twilio-reply")
def twilio_reply_view() -> ResponseReturnValue:
    """What Twilio itself texts back to this message (STOP, START, HELP), or null."""
    body = str((request.get_json(silent=True) or {}).get("body", ""))
    reply = twilio_reply(body)
    if reply is None:
        return jsonify(text=None, language=None)
    return jsonify(
        text=line().content[TWILIO_LANGUAGE].prompt(reply.value), language=TWILIO_LANGUAGE
    )


@bp.post("/silence")
def silence() -> ResponseReturnValue:
    """Why the line sent nothing back to a text, for the page to say plainly."""
    services = line()
    data = request.get_json(silent=True) or {}
    number, body = str(data.get("from", "")), str(data.get("body", ""))
    opted_out = bool(number) and services.store.is_opted_out(number)
    reason = why_silent(body, services.sms.is_opt_out(body), opted_out)
    return jsonify(reason=reason.value, limit=services.settings.sms_rate_limit)


@bp.post("/twilio/2010-04-01/Accounts/<sid>/Messages.json")
def messages_api(sid: str) -> ResponseReturnValue:
    """A stand-in for Twilio's Messages API: keeps the text (not the number) for the page."""
    outbox = _outbox()
    with outbox.lock:
        number = next(outbox.ids)
        message = {"id": str(number), "body": request.form.get("Body", "")}
        outbox.messages.append(message)
    return jsonify(sid=f"SM{number:032x}", account_sid=sid, status="queued"), 201


@bp.get("/outbox")
def outbox() -> ResponseReturnValue:
    """Messages the line sent since the id the page last saw."""
    since = request.args.get("since", "0")
    last = int(since) if since.isdigit() else 0
    with _outbox().lock:
        fresh = [m for m in _outbox().messages if int(m["id"]) > last]
    return jsonify(messages=fresh)


def _outbox() -> Outbox:
    outbox = line().outbox
    if outbox is None:  # the blueprint is registered only with the simulator on
        abort(404)
    return outbox
