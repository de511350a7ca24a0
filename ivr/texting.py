"""The line's own texts ("text me this" during a call), through Twilio's Messages API.

Whether a text may go is asked while the call decides; the text itself is sent after the
response, so no caller and no webhook waits on Twilio's REST API.
"""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.config import Settings
from ivr.sms.conversation import Conversation
from ivr.sms.ratelimit import RateLimit
from ivr.store import Store
from ivr.voice.protocol import Texting

log = logging.getLogger(__name__)
# Sent after the response, so no caller waits on it; still, a worker's thread should not hang.
SEND_TIMEOUT_SECONDS = 5

# twilio's client logs each request at INFO; keep it quiet so nothing about a caller is logged.
_quiet = logging.getLogger("ivr.twilio-client")
_quiet.setLevel(logging.WARNING)


class Texter:
    """Sends a caller an answer's summary, within the same per-number limit as texting the line."""

    def __init__(self, settings: Settings, store: Store, limit: RateLimit) -> None:
        self._store = store
        self._limit = limit
        self._from = settings.twilio_from
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS, logger=_quiet),
        )
        self._client.api.base_url = settings.twilio_api_url

    def permission(self, number: str) -> Texting:
        """Whether number may be texted now; a yes counts against its limit."""
        opted_out = self._store.opt_out_status(number)
        if opted_out is None:  # unreadable: nothing is sent, an opt-out is never ignored
            return Texting.UNKNOWN
        if opted_out:
            return Texting.OPTED_OUT
        if not self._limit.allow(self._store.number_key(number)):
            return Texting.LIMITED
        return Texting.ALLOWED

    def send(self, number: str, body: str, topic_id: str | None = None) -> bool:
        """Send body to number; once an answer's summary is sent, MORE by text continues it."""
        try:
            self._client.messages.create(to=number, from_=self._from, body=body)
        except (TwilioException, OSError) as error:
            log.warning("text not sent: %s", type(error).__name__)
            return False
        if topic_id:
            self._store.save_conversation(number, Conversation(topic_id, 0, None, body))
        return True
