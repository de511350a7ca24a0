"""Helpers for the audio tests: tool checks, a stand-in for Google's speech endpoint, fake audio."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import shutil
import struct
import threading
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from ivr.audio.catalogue import Recording, Wanted
from ivr.audio.encode import FORMAT

INSTALL = {
    "espeak-ng": "apt-get install espeak-ng",
    "ffmpeg": "apt-get install ffmpeg",
    "ffprobe": "apt-get install ffmpeg",
}


def require_tools(*tools: str) -> None:
    """Skip the test, saying what to install, when a tool is missing; in CI, fail instead."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    reason = "; ".join(f"{tool} is not installed ({INSTALL[tool]})" for tool in missing)
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and .ci/run should have installed it")
    pytest.skip(reason)


def require_piper() -> None:
    """Skip the test when the [piper] extra is not installed; in CI, fail instead."""
    from ivr.audio.engines import PIPER_INSTALL, piper_installed

    if piper_installed():
        return
    reason = f"Piper is not installed ({PIPER_INSTALL})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and the [test] extra should have installed it")
    pytest.skip(reason)


def tone_wav(seconds: float = 1.0, silence: float = 0.5, amplitude: float = 0.3) -> bytes:
    """A 440 Hz tone framed by silence, as 16-bit mono WAV: audio with edges to trim."""
    rate = 16_000
    quiet = [0] * int(silence * rate)
    tone = [
        int(amplitude * 32767 * math.sin(2 * math.pi * 440 * n / rate))
        for n in range(int(seconds * rate))
    ]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        samples = quiet + tone + quiet
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


@dataclass
class FakeEngine:
    """An engine that says every text as a short tone and remembers what it was asked."""

    name: str = "espeak"
    language: str = "en"
    voice: str = "en-us"
    margin: float = 0.0
    calls: list[tuple[str, bool]] = field(default_factory=list)
    fail_on: str | None = None  # a text that makes it fail, as a real engine might

    def synthesise(self, text: str, slow: bool) -> bytes:
        from ivr.audio.engines import EngineError

        self.calls.append((text, slow))
        if text == self.fail_on:
            raise EngineError("the fake engine was told to fail here.")
        return tone_wav(1.5 if slow else 1.0)


@dataclass
class GoogleStandIn:
    """What a stand-in for Google's batchexecute endpoint received, and what it will answer."""

    base_url: str = ""
    statuses: list[int] = field(default_factory=list)  # answered first, one per request
    audio: Callable[[str], bytes] = lambda text: b"mp3:" + text.encode("utf-8")
    requests: list[dict[str, object]] = field(default_factory=list)


def batchexecute_answer(audio: bytes) -> str:
    """Google's answer to one jQ1olc call, byte for byte in the shape gTTS parses."""
    payload = json.dumps([base64.b64encode(audio).decode("ascii")])
    envelope = json.dumps(
        [
            ["wrb.fr", "jQ1olc", payload, None, None, None, "generic"],
            ["di", 58],
            ["af.httprm", 57, "-5171712397713738463", 12],
        ],
        separators=(",", ":"),
    )
    tail = '[["e",4,null,null,231]]'
    return f")]}}'\n\n{len(envelope)}\n{envelope}\n{len(tail)}\n{tail}\n"


@contextmanager
def google_stand_in() -> Iterator[GoogleStandIn]:
    """A local HTTP server speaking Google Translate's speech protocol, as gTTS uses it."""
    state = GoogleStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # the reachability probe
            self.send_response(404)
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            rpc = json.loads(parse_qs(body)["f.req"][0])
            name, parameter, _, _ = rpc[0][0]
            text, lang, speed, _ = json.loads(parameter)
            state.requests.append({"path": self.path, "rpc": name, "text": text, "lang": lang})
            state.requests[-1]["slow"] = speed is True
            status = state.statuses.pop(0) if state.statuses else 200
            answer = batchexecute_answer(state.audio(text)) if status == 200 else "error"
            data = answer.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval, so that shutting the server down does not hold each test up.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def fake_recording(
    directory: Path, wanted: Wanted, data: bytes = b"ID3 not really audio", text_hash: str = ""
) -> Recording:
    """Put a file for wanted in directory, as a build would, and return its manifest entry."""
    digest = hashlib.sha256(data).hexdigest()
    file = f"{wanted.language}/{wanted.id}{'-slow' if wanted.slow else ''}-{digest[:12]}.mp3"
    (directory / wanted.language).mkdir(parents=True, exist_ok=True)
    (directory / file).write_bytes(data)
    return Recording(
        id=wanted.id,
        language=wanted.language,
        speed="slow" if wanted.slow else "normal",
        text_hash=text_hash or wanted.text_hash,
        engine="espeak",
        voice="en-us",
        format=FORMAT,
        file=file,
        bytes=len(data),
        duration=1.0,
        sha256=digest,
    )
