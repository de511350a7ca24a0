"""Helpers for the audio tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ivr.audio.catalogue import Recording, Wanted


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
        format="mp3",
        file=file,
        bytes=len(data),
        duration=1.0,
        sha256=digest,
    )
