"""`ivr call` and `ivr text`: the line in a terminal, through the same signed webhooks."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr.audio.catalogue import read_manifest, wanted_recordings
from ivr.content import Content
from ivr.segments import segments
from ivr.twilio_forms import whatsapp_form

CALLER = "+15555550100"
TERMINAL_ACCOUNT = "AC" + "0" * 32
LINE = "+15555550199"
# Each quiet unless something goes wrong: then what it says shows that audio cannot play.
PLAYERS = (("ffplay", "-nodisp", "-autoexit", "-loglevel", "error"), ("mpg123", "-q"))


@dataclass
class Webhooks:
    """Signed POSTs to the line: over HTTP to a running server, or in process to an app."""

    public_url: str
    token: str
    app: Flask | None = None

    def post(self, path: str, params: Mapping[str, str]) -> tuple[int, str]:
        """POST params to path, signed as Twilio signs; the status and the body."""
        signature = RequestValidator(self.token).compute_signature(self.public_url + path, params)
        headers = {"X-Twilio-Signature": signature}
        if self.app is not None:
            response = self.app.test_client().post(path, data=dict(params), headers=headers)
            body = response.get_data(as_text=True)
            response.close()
            return response.status_code, body
        answer = requests.post(self.public_url + path, data=params, headers=headers, timeout=20)
        return answer.status_code, answer.text


def post_text(webhooks: Webhooks, message: str, number: str = CALLER) -> tuple[int, str]:
    """Send one text message to the line as Twilio would: its status and TwiML."""
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "From": number,
        "To": LINE,
        "Body": message,
        "NumMedia": "0",
    }
    return webhooks.post("/sms", params)


def text(webhooks: Webhooks, message: str, number: str = CALLER) -> list[str]:
    """Send one text message to the line; the lines of its reply, each with its size."""
    status, body = post_text(webhooks, message, number)
    if status != 200:
        return [f"The line answered {status}."]
    replies = [node.text or "" for node in ElementTree.fromstring(body).iter("Message")]
    if not replies:
        return ["(no reply)"]
    lines = []
    for reply in replies:
        size = segments(reply)
        lines += [reply, f"  [{size.units} characters, {size.encoding}, {size.count} segment(s)]"]
    return lines


def whatsapp(
    webhooks: Webhooks,
    message: str,
    number: str = CALLER,
    captions: Mapping[str, str] | None = None,
) -> list[str]:
    """Send one WhatsApp message to the line; its text messages, then each recording's words."""
    sid = "SM" + secrets.token_hex(16)
    form = whatsapp_form(number, message, sid, to=LINE, account_sid=TERMINAL_ACCOUNT)
    status, body = webhooks.post("/sms", form)
    if status != 200:
        return [f"The line answered {status}."]
    lines = []
    for node in ElementTree.fromstring(body).iter("Message"):
        media = node.find("Media")
        if media is None:
            lines += [node.text or "", f"  [{len(node.text or '')} characters]"]
        else:
            file = recording_file((media.text or "").strip())
            lines.append(f"  [recording] {(captions or {}).get(file, file)}")
    return lines or ["(no reply)"]


@dataclass
class TerminalCall:
    """A call that follows TwiML as Twilio does, asking the person at the terminal for input."""

    webhooks: Webhooks
    ask: Callable[[str], str]
    show: Callable[[str], None]
    audio_dir: Path | None = None  # play recordings from here, when a player is installed
    captions: Mapping[str, str] = field(default_factory=dict)  # en/<file>.mp3 -> its text
    number: str = CALLER
    sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    players: tuple[tuple[str, ...], ...] = PLAYERS  # the first one installed plays
    _player: tuple[str, ...] | None = field(default=None, init=False, repr=False)

    def run(self) -> None:
        """Call the line and follow it until someone hangs up."""
        self.show("Calling the line. Type keys (1, 9, *, #, 0) or words; Enter alone is silence;")
        self.show("'hangup' ends the call.")
        self._player = next((p for p in self.players if shutil.which(p[0])), None)
        if self.audio_dir and not self._player:
            self._audio_off(f"neither {' nor '.join(p[0] for p in self.players)} is installed")
        path: str | None = "/voice"
        extra: dict[str, str] = {}
        while path:
            path, extra = self._request(path, extra)
        self.show("The call has ended.")

    def _request(self, path: str, extra: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
        params = {"CallSid": self.sid, "From": self.number, "To": LINE} | dict(extra)
        status, body = self.webhooks.post(path, params)
        if status != 200:
            self.show(f"The line answered {status}.")
            return None, {}
        for verb in ElementTree.fromstring(body):
            if verb.tag == "Gather":
                for child in verb:
                    self._sound(child)
                answer = self.ask("> ").strip()
                if answer.lower() == "hangup":
                    return None, {}
                if answer:
                    key = answer[0] in "0123456789*#" and len(answer) == 1
                    data = {"Digits": answer} if key else {"SpeechResult": answer}
                    return _path(verb.get("action", "")), data
            elif verb.tag in ("Say", "Play"):
                self._sound(verb)
            elif verb.tag == "Redirect":
                return _path(verb.text or ""), {}
            elif verb.tag == "Dial":
                self.show(f"[transferring to {verb.text}]")
                answered = self.ask("Did the person answer? [y/N] ").strip().lower() == "y"
                return _path(verb.get("action", "")), {
                    "DialCallStatus": "completed" if answered else "no-answer"
                }
            elif verb.tag == "Hangup":
                return None, {}
        return None, {}

    def _sound(self, node: ElementTree.Element) -> None:
        if node.tag == "Play":
            url = (node.text or "").strip()
            file = recording_file(url)
            words = self.captions.get(file)
            # The words the caller hears; a file name only for a recording this checkout lacks.
            self.show(f"({file.split('/', 1)[0]}) {words}" if words else f"[plays {file}]")
            self._play(file)
        elif node.tag == "Say":
            self.show(f"({node.get('language', '')}) {''.join(node.itertext()).strip()}")

    def _play(self, file: str) -> None:
        if not (self.audio_dir and self._player):
            return
        local = self.audio_dir / file
        if not local.is_file():
            return
        played = subprocess.run(
            [*self._player, str(local)],
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,  # ALSA and SDL complain at length when there is no device
        )
        if played.returncode != 0 or played.stderr.strip():
            self._audio_off(f"{self._player[0]} could not play here (no sound device?)")

    def _audio_off(self, reason: str) -> None:
        """Say once that recordings will not be heard, and stop trying to play them."""
        self._player = None
        self.show(f"[Audio is off: {reason}. The words are shown instead.]")


def recording_file(url: str) -> str:
    """A recording's <language>/<file> from its URL, whatever host or CDN serves it."""
    return "/".join(urlsplit(url).path.rsplit("/", 2)[-2:])


def recording_captions(audio_dir: Path, content: Content) -> dict[str, str]:
    """The words of every current recording in audio_dir, by <language>/<file>: the manifest
    of this checkout, so a call to a server elsewhere shows its words too."""
    try:
        recordings = read_manifest(audio_dir) or ()
    except ValueError:
        return {}
    texts = {wanted.key: (wanted.text_hash, wanted.text) for wanted in wanted_recordings(content)}
    captions = {}
    for recording in recordings:
        text_hash, text = texts.get(recording.key, ("", ""))
        if recording.text_hash == text_hash:
            captions[recording.file] = text
    return captions


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
