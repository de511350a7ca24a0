"""Text me this: send an answer's summary to the caller through Twilio's Messages API."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.config import Settings
from ivr.store import Store, Texting

log = logging.getLogger(__name__)
# The Messages API answers in well under a second; a caller is waiting on the line.
SEND_TIMEOUT_SECONDS = 5

# twilio's client logs each request at INFO; keep it quiet so nothing about a caller is logged.
_quiet = logging.getLogger("ivr.twilio-client")
_quiet.setLevel(logging.WARNING)


def send_text(settings: Settings, store: Store, number: str, body: str) -> str:
    """Send body to number unless it opted out: "sent", "opted-out" or "failed"."""
    texting = store.texting(number)
    if texting is Texting.UNKNOWN:
        return "failed"  # nothing is sent: an opt-out is never ignored (the store logged why)
    if texting is Texting.OPTED_OUT:
        return "opted-out"
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS, logger=_quiet),
    )
    client.api.base_url = settings.twilio_api_url
    try:
        client.messages.create(to=number, from_=settings.twilio_from, body=body)
    except (TwilioException, OSError) as error:
        log.warning("text not sent: %s", type(error).__name__)
        return "failed"
    return "sent"
