"""The line as production runs it (gunicorn with ivr/gunicorn_conf.py) on a loopback port.

For tests that kill the server or read its logs: requests go over real HTTP, signed exactly as
Twilio signs them for the public URL the server is told it has (as behind a proxy).
"""

from __future__ import annotations

import http.client
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Response

from ivr import twilio_forms
from ivr.loopback import Server, production_server

from .browser import ROOT
from .twilio_fakes import ACCOUNT_SID

LINE_NUMBER = "+15550001111"  # the line's own number, the To of every webhook
# Twilio waits 15 s for a webhook; a test request waits less, so a hung server fails fast.
REQUEST_SECONDS = 10


def gunicorn_line(
    settings: Mapping[str, str], log: Path, workers: int = 2
) -> AbstractContextManager[Server]:
    """The production server with settings (IVR_* variables), its output into log.

    On a free loopback port; stopped, and its process group killed, however the block ends.
    """
    return production_server({"IVR_WORKERS": str(workers)} | dict(settings), log, cwd=ROOT)


def sms_form(number: str, body: str, sid: str) -> dict[str, str]:
    """The form Twilio posts to the messaging webhook for one incoming text."""
    return twilio_forms.sms_form(number, body, sid, to=LINE_NUMBER, account_sid=ACCOUNT_SID)


def call_form(number: str, sid: str) -> dict[str, str]:
    """The form Twilio posts to the voice webhooks, at every step of one incoming call."""
    return twilio_forms.call_form(number, sid, to=LINE_NUMBER, account_sid=ACCOUNT_SID)


class LoopbackClient:
    """Enough of FlaskClient.post for signed_post and twilio_fakes.Call, over real HTTP.

    Each request goes on a new connection, as Twilio's do, with Twilio's idempotency token
    (the line's request id); the tokens sent are kept in request_ids. Safe to share between
    threads. A connection that fails or is cut raises OSError or http.client.HTTPException.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.request_ids: list[str] = []

    def post(self, path: str, data: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        """Send the already signed form to the server and return its answer."""
        request_id = uuid.uuid4().hex
        self.request_ids.append(request_id)
        target = urlsplit(self.server_url)
        connection = http.client.HTTPConnection(target.hostname, target.port, REQUEST_SECONDS)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": request_id,
            **headers,
        }
        try:
            connection.request("POST", path, body=urlencode(data), headers=headers)
            answer = connection.getresponse()
            return Response(answer.read(), status=answer.status, headers=answer.getheaders())
        finally:
            connection.close()
