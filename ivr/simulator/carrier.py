"""What Twilio itself does around the line's answer to a text, so the simulator can show it.

Twilio acts on a few whole-message keywords before the line sees them: it confirms an opt-out,
an opt-in or a request for help with texts of its own (set in its Advanced Opt-Out, worded in
the content files as sms_twilio_*), and after an opt-out it blocks every text to the number.
Pure: no Flask, no store.
"""

from __future__ import annotations

from enum import Enum

from ivr.sms.keywords import TWILIO_OPT_OUT

# Twilio's other default keywords (the whole body, any case), beside TWILIO_OPT_OUT.
TWILIO_OPT_IN = frozenset({"START", "YES", "UNSTOP"})
TWILIO_HELP = frozenset({"HELP", "INFO"})
# Twilio's default keywords are English, and so is the confirmation it sends for them.
TWILIO_LANGUAGE = "en"


class TwilioReply(Enum):
    """Twilio's own confirmation of a keyword: the id of its wording in the content files."""

    STOP = "sms_twilio_stop"
    START = "sms_twilio_start"
    HELP = "sms_twilio_help"


class Silence(Enum):
    """Why the line sent nothing back to a text."""

    TWILIO_OPT_OUT = "twilio-opt-out"  # Twilio confirmed the opt-out; the line may not reply
    OPT_OUT_OVER_LIMIT = "opt-out-over-limit"  # recorded, but no confirmation: over the limit
    OPTED_OUT = "opted-out"  # the number opted out earlier and has not opted back in
    RATE_LIMIT = "rate-limit"  # over the limit, and already told once when to try again


def twilio_reply(body: str) -> TwilioReply | None:
    """The confirmation Twilio itself sends for this message, or None when it sends none."""
    word = body.strip().upper()
    if word in TWILIO_OPT_OUT:
        return TwilioReply.STOP
    if word in TWILIO_OPT_IN:
        return TwilioReply.START
    if word in TWILIO_HELP:
        return TwilioReply.HELP
    return None


def why_silent(body: str, is_opt_out: bool, opted_out: bool) -> Silence:
    """Why the line answered a text with nothing, given what the message and the store say.

    The line is silent only after an opt-out, or over its rate limit (it says once when to
    try again, then nothing), so what is neither is the limit.
    """
    if twilio_reply(body) is TwilioReply.STOP:
        return Silence.TWILIO_OPT_OUT
    if is_opt_out:
        return Silence.OPT_OUT_OVER_LIMIT
    if opted_out:
        return Silence.OPTED_OUT
    return Silence.RATE_LIMIT
