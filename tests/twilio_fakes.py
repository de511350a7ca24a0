"""Local stand-ins for Twilio: its Messages API, and a caller that follows TwiML as Twilio does."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from flask.testing import FlaskClient

from .conftest import CALLER, signed_post

ACCOUNT_SID = "AC" + "a1" * 16


@dataclass
class MessagesApi:
    """What the stand-in received, and how it should answer."""

    url: str
    sent: list[dict[str, str]] = field(default_factory=list)
    fail_with: int = 0  # an HTTP status to answer with instead of 201
    attempts: int = 0  # requests answered, refused ones included
    answered: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_attempts(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until count requests have been answered (the line texts after its response)."""
        with self.answered:
            return self.answered.wait_for(lambda: self.attempts >= count, timeout)


@contextmanager
def messages_api(token: str) -> Iterator[MessagesApi]:
    """A loopback server speaking Twilio's Messages API (POST .../Messages.json, basic auth)."""
    state = MessagesApi(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{token}".encode()).decode()
            path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.headers.get("Authorization") != expected:
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            if urlsplit(self.path).path != path:
                return self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
            if state.fail_with:
                error = {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}
                return self._answer(state.fail_with, error | {"status": state.fail_with})
            state.sent.append(form)
            sid = "SM" + f"{len(state.sent):032x}"
            body = {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued"} | {
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
            }
            self._answer(201, body)

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with state.answered:
                state.attempts += 1
                state.answered.notify_all()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class Call:
    """A phone call driven through the /voice webhook, following TwiML as Twilio would."""

    def __init__(self, client: FlaskClient, number: str = CALLER) -> None:
        self.client = client
        self.number = number
        self.root = self._post("/voice", {})

    def _post(self, url: str, form: dict[str, str]) -> ElementTree.Element:
        data = {"CallSid": "CA" + "0" * 32, "From": self.number, "To": "+15550001111"} | form
        response = signed_post(self.client, url, data)
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/xml"
        return ElementTree.fromstring(response.data)

    @property
    def gather(self) -> ElementTree.Element:
        gather = self.root.find("./Gather")
        assert gather is not None, ElementTree.tostring(self.root)
        return gather

    def heard(self) -> list[str]:
        """The texts of every <Say> in the current response (or ids of <Play> files)."""
        return [
            (node.text or "".join(node.itertext())) if node.tag == "Say" else node.text or ""
            for node in self.root.iter()
            if node.tag in ("Say", "Play")
        ]

    def text(self) -> str:
        return " ".join(self.heard())

    def press(self, digits: str) -> Call:
        self.root = self._post(self.gather.get("action"), {"Digits": digits})
        return self

    def say(self, words: str) -> Call:
        self.root = self._post(
            self.gather.get("action"), {"SpeechResult": words, "Confidence": "0.9"}
        )
        return self

    def silence(self) -> Call:
        redirect = self.root.find("./Redirect")
        assert redirect is not None
        self.root = self._post(redirect.text, {})
        return self

    def dial_ends(self, status: str) -> Call:
        dial = self.root.find("./Dial")
        assert dial is not None
        self.root = self._post(dial.get("action"), {"DialCallStatus": status})
        return self

    @property
    def hung_up(self) -> bool:
        return self.root.find("./Hangup") is not None
