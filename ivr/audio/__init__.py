"""Pre-generated recordings: what the audio folder holds and how it is served."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class AudioStatus:
    """What the audio folder held when the line started."""

    directory: Path
    manifest_found: bool
    recordings: int
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The status as JSON-ready data."""
        return {
            "manifest": self.manifest_found,
            "recordings": self.recordings,
            "problem": self.problem,
        }


def audio_status(directory: Path) -> AudioStatus:
    """Read the manifest once at start-up; a missing or broken one is reported, not fatal."""
    path = directory / MANIFEST
    if not path.is_file():
        return AudioStatus(
            directory, False, 0, "no manifest.json: the line uses Twilio text-to-speech."
        )
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("recordings", [])
    except (ValueError, AttributeError) as error:
        return AudioStatus(directory, True, 0, f"manifest.json is unreadable: {error}")
    return AudioStatus(directory, True, len(entries))
