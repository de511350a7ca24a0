"""Engines: gTTS against a local stand-in for Google, the offline engines, and the fallback."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import gtts.tts
import pytest
from gtts import gTTS

from ivr.audio import engines
from ivr.audio.encode import audio_duration, to_phone_mp3
from ivr.audio.engines import (
    DIGIT_BREAK,
    EngineError,
    EspeakEngine,
    GttsEngine,
    PiperEngine,
    choose_engines,
    google_url,
    key_digits_apart,
)
from tests.audio_support import GoogleStandIn, google_stand_in, require_piper, require_tools

LONG_TEXT = (
    "Metastatic cancer is cancer that has spread from the place where it first started to "
    "another place in the body. A tumor formed by metastatic cancer cells is called a "
    "metastatic tumor or a metastasis."
)


@pytest.fixture
def google() -> Iterator[GoogleStandIn]:
    with google_stand_in() as state:
        yield state


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: Google, as these build machines see it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_stand_in_answers_as_gtts_itself_expects(
    google: GoogleStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gTTS's own client, pointed at the stand-in: proof that the stand-in speaks the protocol.
    monkeypatch.setattr(gtts.tts, "_translate_url", lambda tld, path: f"{google.base_url}/{path}")
    buffer = io.BytesIO()
    gTTS("Hello there.", lang="en").write_to_fp(buffer)
    assert buffer.getvalue() == b"mp3:Hello there."


def test_gtts_fetches_every_piece_and_joins_the_audio(google: GoogleStandIn) -> None:
    engine = GttsEngine("es", base_url=google.base_url, backoff=0)
    audio = engine.synthesise(LONG_TEXT, slow=True)
    pieces = [r["text"] for r in google.requests]
    assert len(pieces) > 1  # gTTS splits texts longer than 100 characters
    assert audio == b"".join(b"mp3:" + p.encode() for p in pieces)
    assert {r["path"] for r in google.requests} == {"/_/TranslateWebserverUi/data/batchexecute"}
    assert {(r["rpc"], r["lang"], r["slow"]) for r in google.requests} == {("jQ1olc", "es", True)}


def test_gtts_normal_speed_sends_no_slow_flag(google: GoogleStandIn) -> None:
    GttsEngine("en", base_url=google.base_url).synthesise("Press 1.", slow=False)
    assert google.requests == [
        {
            "path": "/_/TranslateWebserverUi/data/batchexecute",
            "rpc": "jQ1olc",
            "text": "Press 1.",
            "lang": "en",
            "slow": False,
        }
    ]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_gtts_retries_a_rate_limit_or_server_error(google: GoogleStandIn, status: int) -> None:
    google.statuses = [status]
    audio = GttsEngine("en", base_url=google.base_url, backoff=0).synthesise("Hi.", slow=False)
    assert audio == b"mp3:Hi."
    assert len(google.requests) == 2


def test_gtts_gives_up_after_its_retries(google: GoogleStandIn) -> None:
    google.statuses = [429] * 10
    engine = GttsEngine("en", base_url=google.base_url, retries=2, backoff=0)
    with pytest.raises(EngineError, match="still answered 429 .* after 2 retries"):
        engine.synthesise("Hi.", slow=False)
    assert len(google.requests) == 3


def test_gtts_does_not_retry_a_refusal(google: GoogleStandIn) -> None:
    google.statuses = [403]
    with pytest.raises(EngineError, match="answered 403"):
        GttsEngine("en", base_url=google.base_url, backoff=0).synthesise("Hi.", slow=False)
    assert len(google.requests) == 1


def test_gtts_times_out() -> None:
    # A server that accepts connections (the kernel does, for the backlog) but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        engine = GttsEngine("en", base_url=url, timeout=0.2, backoff=0)
        with pytest.raises(EngineError, match="did not answer within 0.2 s"):
            engine.synthesise("Hi.", slow=False)


def test_gtts_uses_a_latin_american_voice_for_spanish() -> None:
    assert google_url("en") == "https://translate.google.com"
    assert google_url("es") == "https://translate.google.com.mx"
    spanish = GttsEngine("es")
    assert spanish.url == "https://translate.google.com.mx/_/TranslateWebserverUi/data/batchexecute"
    assert (spanish.lang, spanish.voice) == ("es", "es (translate.google.com.mx)")


def test_auto_uses_gtts_when_google_answers(google: GoogleStandIn) -> None:
    choice = choose_engines("auto", ["en", "es"], gtts_base_url=google.base_url)
    assert {lang: e.name for lang, e in choice.engines.items()} == {"en": "gtts", "es": "gtts"}
    assert not choice.explicit
    assert choice.note is None


@pytest.mark.parametrize("with_piper", [True, False])
def test_auto_falls_back_to_offline_engines_when_google_is_unreachable(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, with_piper: bool
) -> None:
    require_tools("espeak-ng")
    if with_piper:
        require_piper()
    else:
        monkeypatch.setattr(engines, "piper_installed", lambda: False)
    url = f"http://127.0.0.1:{closed_port}"
    choice = choose_engines("auto", ["en", "es"], gtts_base_url=url, probe_timeout=2)
    english = "piper" if with_piper else "espeak"
    assert {lang: e.name for lang, e in choice.engines.items()} == {"en": english, "es": "espeak"}
    assert choice.engines["es"].voice.startswith("es-419")
    assert not choice.explicit
    assert choice.note is not None
    assert choice.note.startswith(f"Google cannot be reached (no connection to {url}); using")
    assert "\n" not in choice.note


def test_a_named_engine_is_explicit() -> None:
    choice = choose_engines("gtts", ["es"])
    assert choice.explicit
    assert choice.engines["es"].name == "gtts"


def test_missing_espeak_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda tool: None)
    with pytest.raises(EngineError) as error:
        EspeakEngine("es")
    assert str(error.value) == "espeak-ng is not installed: apt-get install espeak-ng."


def test_missing_piper_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "piper_installed", lambda: False)
    with pytest.raises(EngineError, match=r"Piper is not installed: pip install 'ivr\[piper\]'"):
        PiperEngine()


def test_piper_speaks_only_english() -> None:
    with pytest.raises(EngineError, match="only English"):
        choose_engines("piper", ["en", "es"])


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize(("language", "text"), [("en", "Press 1."), ("es", "Marque el 1.")])
def test_espeak_speaks_slower_when_asked(language: str, text: str) -> None:
    require_tools("espeak-ng")
    engine = EspeakEngine(language)
    normal = _wav_seconds(engine.synthesise(text, slow=False))
    slow = _wav_seconds(engine.synthesise(text, slow=True))
    assert 0.3 < normal < slow


def test_piper_speaks_slower_when_asked() -> None:
    require_piper()
    engine = PiperEngine()
    normal = _wav_seconds(engine.synthesise("Press 1.", slow=False))
    slow = _wav_seconds(engine.synthesise("Press 1.", slow=True))
    assert 0.3 < normal < slow


def _margins(path: Path) -> tuple[float, float]:
    """Seconds of silence (under -50 dB) at the start and at the end of a recording."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(path), "-af", "silencedetect=n=-50dB:d=0.05"]
        + ["-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    starts = [float(v) for v in re.findall(r"silence_start: ([\d.]+)", result.stderr)]
    ends = [float(v) for v in re.findall(r"silence_end: ([\d.]+)", result.stderr)]
    duration = audio_duration(path)
    leading = ends[0] if starts and starts[0] == 0 else 0.0
    trailing = duration - starts[-1] if starts and len(starts) > len(ends) - 1 else 0.0
    return leading, trailing


def test_offline_spanish_starts_and_ends_with_silence_and_sets_keys_apart(tmp_path: Path) -> None:
    require_tools("espeak-ng", "ffmpeg", "ffprobe")
    engine = EspeakEngine("es")
    destination = tmp_path / "welcome.mp3"
    to_phone_mp3(
        engine.synthesise("Para español, oprima 2.", slow=False), destination, engine.margin
    )
    leading, trailing = _margins(destination)
    assert leading >= 0.15 and trailing >= 0.15
    english = EspeakEngine("en")
    assert english.margin == 0 and engine.margin >= 0.15
    assert "keys set apart" in engine.voice  # a change of recipe: the next build records again


def test_a_key_said_in_a_prompt_is_set_apart_in_ssml() -> None:
    ssml = key_digits_apart("Para español, oprima 2, o diga Ud. <algo> & más.")
    assert ssml.startswith("<speak>") and ssml.endswith("</speak>")
    assert f"oprima {DIGIT_BREAK}2{DIGIT_BREAK}," in ssml
    assert "&lt;algo&gt; &amp; más" in ssml
    assert key_digits_apart("Llame al 1 800 4 2 2.").count(DIGIT_BREAK) == 0
