"""What an engine's raw audio becomes for the phone: trimmed, at one loudness, a small mono mp3.

Twilio plays everything as 8 kHz mu-law, so 16 kHz mono at 32 kbit/s loses nothing a caller
could hear and keeps the committed audio small.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ivr.audio.engines import EngineError, require_tool

SAMPLE_RATE = 16_000
BITRATE = "32k"
LOUDNESS = -16  # LUFS, the usual target for speech; true peak stays under -1.5 dBTP
# Recorded with every file: a change here makes the next build redo every recording.
FORMAT = f"mp3 {SAMPLE_RATE // 1000} kHz mono {BITRATE}bit/s, {LOUDNESS} LUFS, trimmed"
FFMPEG_INSTALL = "apt-get install ffmpeg"
SHORTEST = 0.2  # seconds: anything shorter came out silent

_TRIM = "silenceremove=start_periods=1:start_threshold=-50dB:start_silence=0.1"
_LOUDNORM = f"loudnorm=I={LOUDNESS}:TP=-1.5:LRA=11"
# Leading and trailing silence go, keeping a tenth of a second. loudnorm misjudges clips shorter
# than 3 s (a 2 s title came out 20 LU too quiet), so the audio is padded with silence before
# it is measured and normalised, and the padding is trimmed off again afterwards.
TRIM_AND_PAD = f"{_TRIM},areverse,{_TRIM},areverse,apad=whole_dur=3.5"
TRIM_END = f"areverse,{_TRIM},areverse"
_MEASURED = ("I", "TP", "LRA", "thresh")  # what loudnorm's second pass takes from its first
SILENT = "a recording came out silent; the engine produced no speech."


def to_phone_mp3(raw: bytes, destination: Path, margin: float = 0.0) -> float:
    """Encode raw audio (any format ffmpeg reads) as the phone's mp3; return its duration in s.

    With a margin, that many seconds of silence stand at each end instead of the usual tenth.
    """
    ffmpeg = require_tool("ffmpeg", FFMPEG_INSTALL)
    # Two passes: measure, then apply one gain to the whole clip. One pass adapts its gain as
    # it goes, and overshoots by several LU on short clips.
    measured = _measure(ffmpeg, raw)
    gain = ":".join(f"measured_{key}={measured[f'input_{key.lower()}']}" for key in _MEASURED)
    filters = f"{TRIM_AND_PAD},{_LOUDNORM}:{gain}:offset={measured['target_offset']}:linear=true"
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", "pipe:0"]
    if margin:
        milliseconds = round(margin * 1000)
        filters += f",{TRIM_END},adelay={milliseconds}:all=1,apad=pad_dur={margin}"
    else:
        filters += f",{TRIM_END}"
    command += ["-af", filters, "-ac", "1", "-ar", str(SAMPLE_RATE)]
    command += ["-c:a", "libmp3lame", "-b:a", BITRATE, "-map_metadata", "-1"]
    # bitexact keeps ffmpeg's version out of the file, so the same sound gives the same bytes.
    command += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3", str(destination)]
    _run(command, raw)
    duration = audio_duration(destination)
    if duration < SHORTEST:
        raise EngineError(SILENT)
    return duration


def _measure(ffmpeg: str, raw: bytes) -> dict[str, str]:
    """loudnorm's measurement of the trimmed, padded audio."""
    command = [ffmpeg, "-hide_banner", "-nostats", "-i", "pipe:0"]
    command += ["-af", f"{TRIM_AND_PAD},{_LOUDNORM}:print_format=json", "-f", "null", "-"]
    output = _run(command, raw)
    try:
        measured = json.loads(output[output.rindex("{") :])
    except ValueError:
        raise EngineError(f"ffmpeg could not measure a recording: {output[-200:]}") from None
    if measured["input_i"] in ("-inf", "inf"):
        raise EngineError(SILENT)
    return measured


def _run(command: list[str], raw: bytes) -> str:
    """Run ffmpeg on raw audio; its log (stderr) as text, or EngineError with its last line."""
    result = subprocess.run(command, input=raw, capture_output=True, timeout=300, check=False)
    log = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        last = log.strip().splitlines()[-1:] or [""]
        raise EngineError(f"ffmpeg could not encode a recording: {last[0]}")
    return log


def audio_duration(path: Path) -> float:
    """The duration of an audio file in seconds, as ffprobe reads it."""
    ffprobe = require_tool("ffprobe", FFMPEG_INSTALL)
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    try:
        return round(float(result.stdout.strip()), 3)
    except ValueError:
        raise EngineError(f"ffprobe could not read {path.name}: {result.stderr.strip()}") from None
