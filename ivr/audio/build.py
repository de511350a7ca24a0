"""`ivr build-audio`: record what is missing or out of date, and remove what the content dropped.

A recording is redone when its text changed (by hash), its file is gone, `force` asks, or it
was made another way than this build would make it: by another engine named with --engine, or,
in an automatic build, by an engine ranked no higher than this one (gTTS over Piper over
espeak-ng), so that an offline build never replaces Google's recordings with its own.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ivr.audio.catalogue import (
    FILE_PATTERN,
    NORMAL,
    SLOW,
    Key,
    ManifestError,
    Recording,
    Wanted,
    read_manifest,
    write_manifest,
)
from ivr.audio.encode import FFMPEG_INSTALL, FORMAT, to_phone_mp3
from ivr.audio.engines import RANKS, Engine, EngineError, require_tool

NAME_HASH = 12  # hex digits of the file's own hash in its name: plenty for a few hundred files


@dataclass(frozen=True)
class BuildReport:
    """What a build recorded, kept and removed (or, in a dry run, would have)."""

    planned: tuple[Wanted, ...]
    built: tuple[Recording, ...]
    kept: int
    removed: tuple[str, ...]
    seconds: float
    dry_run: bool = False

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio this build made."""
        return sum(r.duration for r in self.built)

    def summary(self) -> str:
        """One line for people: what happened, and how fast."""
        if self.dry_run:
            return (
                f"Would record {len(self.planned)}; {self.kept} are current; "
                f"would remove {len(self.removed)} file(s) no longer in the content."
            )
        if not self.built and not self.removed:
            return f"Nothing to do: all {self.kept} recordings are current."
        speed = self.audio_seconds / self.seconds if self.seconds else 0.0
        return (
            f"Recorded {len(self.built)} ({self.audio_seconds:.1f} s of audio in "
            f"{self.seconds:.1f} s, {speed:.1f} s of audio a second); {self.kept} were current; "
            f"removed {len(self.removed)} file(s) no longer in the content."
        )


def needs_recording(
    wanted: Wanted,
    recording: Recording | None,
    engine: Engine,
    directory: Path,
    explicit: bool,
) -> bool:
    """Whether this build must (re)make wanted, given what the manifest holds for it."""
    if recording is None or recording.text_hash != wanted.text_hash:
        return True
    if not (directory / recording.file).is_file():
        return True
    if recording.recipe == (engine.name, engine.voice, FORMAT):
        return False
    return explicit or RANKS.get(recording.engine, 0) <= RANKS[engine.name]


def build_audio(
    wanted: Sequence[Wanted],
    directory: Path,
    engines: Mapping[str, Engine],
    explicit: bool = True,
    force: bool = False,
    jobs: int = 4,
    dry_run: bool = False,
    progress: bool = False,
) -> BuildReport:
    """Record for the engines' languages what wanted needs and the folder lacks; drop the rest."""
    languages = sorted(engines)
    try:
        existing = {r.key: r for r in read_manifest(directory) or ()}
    except ManifestError:
        existing = {}  # rebuilt from scratch; the new manifest replaces the unreadable one
    others = [r for r in existing.values() if r.language not in engines]
    todo: list[Wanted] = []
    kept: list[Recording] = []
    for item in wanted:
        if item.language not in engines:
            raise EngineError(f"No engine was chosen for {item.language}.")
        recording = existing.get(item.key)
        if force or needs_recording(item, recording, engines[item.language], directory, explicit):
            todo.append(item)
        elif recording is not None:
            kept.append(recording)
    if dry_run:
        keys = {w.key for w in wanted}
        keep = {r.file for r in existing.values() if r.key in keys or r.language not in engines}
        removed = _unlisted(directory, languages, keep)
        return BuildReport(tuple(todo), (), len(kept), removed, 0.0, dry_run=True)

    started = time.perf_counter()
    built: dict[Key, Recording] = {}
    try:
        _record_all(todo, directory, engines, jobs, progress, into=built)
    except BaseException:
        if built:
            # Keep what was made before the failure in the manifest: a rerun resumes from there.
            write_manifest(directory, {**existing, **built}.values())
        raise
    final = [*others, *kept, *built.values()]
    if set(final) != set(existing.values()):
        write_manifest(directory, final)
    removed = _unlisted(directory, languages, {r.file for r in final})
    for file in removed:
        (directory / file).unlink()
    return BuildReport(
        tuple(todo), tuple(built.values()), len(kept), removed, time.perf_counter() - started
    )


def _record_all(
    todo: Sequence[Wanted],
    directory: Path,
    engines: Mapping[str, Engine],
    jobs: int,
    progress: bool,
    into: dict[Key, Recording],
) -> None:
    """Record todo on jobs threads into `into`; the first failure cancels what has not started."""
    if not todo:
        return
    require_tool("ffmpeg", FFMPEG_INSTALL)
    with (
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tqdm(total=len(todo), unit="recording", disable=not progress) as bar,
    ):
        futures = [pool.submit(_record, w, engines[w.language], directory) for w in todo]
        try:
            for future in as_completed(futures):
                recording = future.result()
                into[recording.key] = recording
                bar.update()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _record(wanted: Wanted, engine: Engine, directory: Path) -> Recording:
    """Synthesise, encode and file one recording under a name carrying its own hash."""
    raw = engine.synthesise(wanted.text, wanted.slow)
    folder = directory / wanted.language
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
    os.close(handle)
    try:
        duration = to_phone_mp3(raw, Path(temporary), engine.margin)
        data = Path(temporary).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        # The name changes whenever the sound does, so no cache (Twilio's, a CDN's) can ever
        # play an old recording under a current name.
        name = f"{wanted.id}{'-slow' if wanted.slow else ''}-{digest[:NAME_HASH]}.mp3"
        file = f"{wanted.language}/{name}"
        if not FILE_PATTERN.fullmatch(file):
            raise EngineError(f"The recording id {wanted.id!r} cannot be part of a file name.")
        os.replace(temporary, directory / file)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return Recording(
        id=wanted.id,
        language=wanted.language,
        speed=SLOW if wanted.slow else NORMAL,
        text_hash=wanted.text_hash,
        engine=engine.name,
        voice=engine.voice,
        format=FORMAT,
        file=file,
        bytes=len(data),
        duration=duration,
        sha256=digest,
    )


def _unlisted(directory: Path, languages: Sequence[str], keep: set[str]) -> tuple[str, ...]:
    """The mp3 files in the languages' folders that no kept recording names."""
    paths = sorted(p for language in languages for p in (directory / language).glob("*.mp3"))
    files = (p.relative_to(directory).as_posix() for p in paths)
    return tuple(f for f in files if f not in keep)
