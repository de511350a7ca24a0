"""Encoding: trimmed, mono, 16 kHz mp3 at one loudness, whatever the engine's level or length."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from ivr.audio import engines
from ivr.audio.encode import LOUDNESS, SAMPLE_RATE, to_phone_mp3
from ivr.audio.engines import EngineError
from tests.audio_support import require_tools, tone_wav


def _stream(path: Path) -> dict[str, object]:
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)["streams"][0]


def _loudness(path: Path) -> float:
    command = ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128"]
    output = subprocess.run(
        [*command, "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", output)[-1])


@pytest.mark.parametrize(("seconds", "amplitude"), [(1.5, 0.05), (6.0, 0.9)])
def test_a_recording_is_trimmed_mono_16khz_mp3_at_one_loudness(
    tmp_path: Path, seconds: float, amplitude: float
) -> None:
    require_tools("ffmpeg", "ffprobe")
    destination = tmp_path / "out.mp3"
    duration = to_phone_mp3(tone_wav(seconds, silence=1.0, amplitude=amplitude), destination)
    stream = _stream(destination)
    assert (stream["codec_name"], stream["channels"]) == ("mp3", 1)
    assert stream["sample_rate"] == str(SAMPLE_RATE)
    # The second of silence at each end is cut to a tenth of a second (mp3 adds a few ms).
    assert seconds < duration < seconds + 0.35
    # A quiet short clip and a loud long one end up within a loudness unit and a half of the target.
    assert abs(_loudness(destination) - LOUDNESS) < 1.5


def test_silence_is_refused(tmp_path: Path) -> None:
    require_tools("ffmpeg", "ffprobe")
    with pytest.raises(EngineError, match="came out silent"):
        to_phone_mp3(tone_wav(1.0, amplitude=0.0), tmp_path / "out.mp3")


def test_garbage_is_refused(tmp_path: Path) -> None:
    require_tools("ffmpeg", "ffprobe")
    with pytest.raises(EngineError, match="ffmpeg could not encode"):
        to_phone_mp3(b"this is not audio", tmp_path / "out.mp3")


def test_missing_ffmpeg_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda tool: None)
    with pytest.raises(EngineError) as error:
        to_phone_mp3(tone_wav(), tmp_path / "out.mp3")
    assert str(error.value) == "ffmpeg is not installed: apt-get install ffmpeg."
