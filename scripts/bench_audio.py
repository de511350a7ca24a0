"""Audio: seconds of audio each offline engine makes per second of wall time, and a no-op build.

The speed is of the whole build on a small sample of the real content (synthesis, then ffmpeg's
two passes and encoding, on the default number of jobs), after one warm-up sentence so that
loading Piper's model is not counted. The no-op build runs on a copy of the audio folder, first
brought up to date, against the whole content: target under a second.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.audio.build import build_audio
from ivr.audio.catalogue import wanted_recordings
from ivr.audio.engines import Engine, EngineError, EspeakEngine, PiperEngine, offline_engine
from ivr.content import LANGUAGES

if TYPE_CHECKING:
    from bench import BenchLine

SAMPLE = 4  # answer parts per engine: enough to time, few enough to run in seconds
NO_OP_TARGET = 1.0  # seconds


def _engines() -> Iterator[tuple[str, Engine | str]]:
    """Each offline engine and language, or why it cannot run here."""
    for label, make in (
        ("espeak-ng en-us", lambda: EspeakEngine("en")),
        ("espeak-ng es-419", lambda: EspeakEngine("es")),
        ("piper en_US-joe-medium", PiperEngine),
    ):
        try:
            yield label, make()
        except EngineError as error:
            yield label, str(error)


def run(line: BenchLine) -> None:
    """Print the engines' speed and the no-op build's time."""
    services = line.app.extensions["ivr"]
    wanted = wanted_recordings(services.content)
    print(f"{'engine':<24} {'texts':>5} {'audio s':>8} {'wall s':>7} {'audio s per s':>13}")
    for label, engine in _engines():
        if isinstance(engine, str):
            print(f"{label:<24} not available: {engine}")
            continue
        firsts = [w for w in wanted if w.id.startswith("topic.") and w.id.endswith(".1")]
        sample = [w for w in firsts if w.language == engine.language and not w.slow][:SAMPLE]
        engine.synthesise("Hello.", slow=False)
        with tempfile.TemporaryDirectory() as directory:
            report = build_audio(sample, Path(directory), {engine.language: engine})
        speed = report.audio_seconds / report.seconds
        print(
            f"{label:<24} {len(sample):>5} {report.audio_seconds:>8.1f} "
            f"{report.seconds:>7.1f} {speed:>13.1f}"
        )

    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "audio"
        shutil.copytree(services.settings.audio_dir, copy)
        engines = {language: offline_engine(language) for language in LANGUAGES}
        # Brings the copy up to date if the content moved on since the audio was committed.
        build_audio(wanted, copy, engines, explicit=False)
        started = time.perf_counter()
        report = build_audio(wanted, copy, engines, explicit=False)
        elapsed = time.perf_counter() - started
    verdict = "ok" if elapsed < NO_OP_TARGET and not report.built else "OVER TARGET"
    print(
        f"second build, nothing to do: {elapsed * 1000:.0f} ms for {report.kept} recordings "
        f"(target under {NO_OP_TARGET:g} s: {verdict})"
    )
