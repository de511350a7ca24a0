"""Which recordings the content needs, what audio/manifest.json says was made, and which play.

Pure: no Flask, no synthesis. The build writes the manifest; the line reads it once at start-up
into a Catalogue, so no request ever scans the folder or hashes a text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import MappingProxyType

from ivr.audio.engine_names import ENGINES
from ivr.content import LANGUAGES, Content

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
NORMAL, SLOW = "normal", "slow"
# A manifest names files as <language>/<name>.mp3 and nothing else, so it can never point
# the server outside the audio folder.
FILE_PATTERN = re.compile(r"[a-z]{2}/[\w.-]+\.mp3")
# How many ids /healthz shows of each kind; `ivr check` shows a few more.
SHOWN_IDS = 5

# (language, recording id, slow): one recording of one spoken text.
Key = tuple[str, str, bool]


class ManifestError(ValueError):
    """audio/manifest.json cannot be read; the message says why in one sentence."""


def text_hash(language: str, slow: bool, text: str) -> str:
    """The hash of everything a recording says, whichever engine says it."""
    speed = SLOW if slow else NORMAL
    data = json.dumps([language, speed, text], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def label(key: Key) -> str:
    """A recording's key as people read it: en:topic.what-is.1:slow."""
    language, audio_id, slow = key
    return f"{language}:{audio_id}" + (":slow" if slow else "")


@dataclass(frozen=True)
class Wanted:
    """A recording the content needs: one spoken text, in one language, at one speed."""

    id: str
    language: str
    slow: bool
    text: str

    @property
    def key(self) -> Key:
        """The (language, id, slow) this recording is filed under."""
        return (self.language, self.id, self.slow)

    @property
    def text_hash(self) -> str:
        """The hash a current recording of this text carries in the manifest."""
        return text_hash(self.language, self.slow, self.text)


def wanted_recordings(content: Content, languages: Iterable[str] = LANGUAGES) -> tuple[Wanted, ...]:
    """Every recording the content needs: each spoken text, and a slow one where it asks."""
    wanted = []
    for language in languages:
        for spoken in content[language].spoken():
            wanted.append(Wanted(spoken.id, language, False, spoken.text))
            if spoken.slow:
                wanted.append(Wanted(spoken.id, language, True, spoken.text))
    return tuple(wanted)


@dataclass(frozen=True)
class Recording:
    """One entry of audio/manifest.json: a file made from one text by one engine."""

    id: str
    language: str
    speed: str  # "normal" or "slow"
    text_hash: str
    engine: str
    voice: str
    format: str  # how the file was encoded; a new format makes the build redo it
    file: str  # relative to the audio folder: en/topic.what-is.1-slow-0123456789ab.mp3
    bytes: int
    duration: float  # seconds
    sha256: str  # of the file's bytes; its first 12 digits are in the file name

    @property
    def key(self) -> Key:
        """The (language, id, slow) this recording is filed under."""
        return (self.language, self.id, self.speed == SLOW)

    @property
    def recipe(self) -> tuple[str, str, str]:
        """What made the sound: engine, voice and format."""
        return (self.engine, self.voice, self.format)


def read_manifest(directory: Path) -> tuple[Recording, ...] | None:
    """The recordings audio/manifest.json lists, or None when there is no manifest."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["recordings"]
        names = [f.name for f in fields(Recording)]
        recordings = tuple(Recording(**{name: entry[name] for name in names}) for entry in entries)
    except (ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{path} is unreadable ({error!r}); run `ivr build-audio`.") from None
    for recording in recordings:
        if not FILE_PATTERN.fullmatch(str(recording.file)):
            raise ManifestError(f"{path} names a file outside its folder: {recording.file!r}.")
    return recordings


def write_manifest(directory: Path, recordings: Iterable[Recording]) -> None:
    """Write audio/manifest.json atomically, sorted so that a rebuild diffs cleanly in git."""
    ordered = sorted(recordings, key=lambda r: (r.language, r.id, r.speed))
    data = {"version": MANIFEST_VERSION, "recordings": [asdict(r) for r in ordered]}
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    # A crash mid-write must never leave the line a half manifest.
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, prefix=".manifest-", delete=False
    ) as handle:
        handle.write(text)
    os.replace(handle.name, directory / MANIFEST)


@dataclass(frozen=True)
class AudioStatus:
    """What the audio folder held for the content when the line started."""

    directory: Path
    manifest_found: bool
    recordings: int
    current: int
    missing: tuple[str, ...]
    stale: tuple[str, ...]
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The status as JSON-ready data, with a few of the missing and stale ids."""
        return {
            "manifest": self.manifest_found,
            "recordings": self.recordings,
            "current": self.current,
            "missing": len(self.missing),
            "stale": len(self.stale),
            "missing_ids": list(self.missing[:SHOWN_IDS]),
            "stale_ids": list(self.stale[:SHOWN_IDS]),
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Catalogue:
    """Where each current recording is played from, fixed at start-up."""

    status: AudioStatus
    urls: Mapping[Key, str]
    etags: Mapping[str, str]  # file (en/x.mp3) -> ETag, for every file the manifest lists
    durations: Mapping[Key, float]  # seconds, for every current recording
    files: Mapping[Key, str]  # the file (en/x.mp3) of every recording that plays

    def url(self, audio_id: str, language: str, slow: bool = False) -> str | None:
        """The URL of the current recording, or None when Twilio should speak the text itself."""
        return self.urls.get((language, audio_id, slow))

    def duration(self, audio_id: str, language: str, slow: bool = False) -> float | None:
        """How many seconds the current recording lasts, or None when there is none."""
        return self.durations.get((language, audio_id, slow))

    def file(self, audio_id: str, language: str, slow: bool = False) -> str | None:
        """The file (relative to the audio folder) of the current recording, or None."""
        return self.files.get((language, audio_id, slow))

    def etag(self, file: str) -> str | None:
        """The ETag of a file the manifest lists, or None when it must not be served."""
        return self.etags.get(file)


def load_catalogue(
    directory: Path,
    content: Content,
    base_url: str,
    engines: Iterable[str] = ENGINES,
) -> Catalogue:
    """Read the manifest once; a recording plays only if its text is current and its file exists."""
    wanted = wanted_recordings(content)
    problem = None
    try:
        recordings = read_manifest(directory)
    except ManifestError as error:
        recordings, problem = (), str(error)
    if recordings is None:
        recordings = ()
        problem = "no manifest.json: the line uses Twilio text-to-speech; run `ivr build-audio`."
    on_disk = {r.file: r for r in recordings if (directory / r.file).is_file()}
    by_key = {r.key: r for r in on_disk.values()}
    current = {w.key: by_key[w.key] for w in wanted if _is_current(by_key.get(w.key), w)}
    status = AudioStatus(
        directory=directory,
        manifest_found=(directory / MANIFEST).is_file(),
        recordings=len(recordings),
        current=len(current),
        missing=_labels(w for w in wanted if w.key not in by_key),
        stale=_labels(w for w in wanted if w.key in by_key and w.key not in current),
        problem=problem,
    )
    base = base_url.rstrip("/")
    allowed = set(engines)
    playable = {key: r for key, r in current.items() if r.engine in allowed}
    return Catalogue(
        status=status,
        urls=MappingProxyType({key: f"{base}/{r.file}" for key, r in playable.items()}),
        etags=MappingProxyType({file: r.sha256 for file, r in on_disk.items()}),
        durations=MappingProxyType({key: r.duration for key, r in playable.items()}),
        files=MappingProxyType({key: r.file for key, r in playable.items()}),
    )


def _is_current(recording: Recording | None, wanted: Wanted) -> bool:
    return recording is not None and recording.text_hash == wanted.text_hash


def _labels(wanted: Iterable[Wanted]) -> tuple[str, ...]:
    return tuple(label(w.key) for w in wanted)
