"""ivr build-audio: incremental by text hash, orphans removed, the manifest, engines end to end."""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.audio import engines
from ivr.audio.build import build_audio
from ivr.audio.catalogue import (
    FILE_PATTERN,
    Wanted,
    label,
    load_catalogue,
    read_manifest,
    write_manifest,
)
from ivr.audio.encode import FORMAT
from ivr.audio.engines import EngineError, choose_engines
from ivr.cli import main
from ivr.content import load_content
from tests.audio_support import (
    FakeEngine,
    GoogleStandIn,
    google_stand_in,
    require_tools,
    tone_wav,
)

# A few short texts, not the whole catalogue: the build's logic is the same for any number.
WANTED = (
    Wanted("prompt.welcome", "en", False, "Welcome."),
    Wanted("topic.what-is.1", "en", False, "Cancer can spread."),
    Wanted("topic.what-is.1", "en", True, "Cancer can spread."),
)


@pytest.fixture(autouse=True)
def _ffmpeg() -> None:
    require_tools("ffmpeg", "ffprobe")


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """WANTED, built once for the module by the fake engine as espeak."""
    require_tools("ffmpeg", "ffprobe")
    directory = tmp_path_factory.mktemp("first-build")
    build_audio(WANTED, directory, {"en": FakeEngine()})
    return directory


@pytest.fixture
def built(first_build: Path, tmp_path: Path) -> Path:
    """A copy of the first build, for a test to build on."""
    return shutil.copytree(first_build, tmp_path / "audio")


def test_a_first_build_records_everything_and_describes_it_in_the_manifest(
    tmp_path: Path, engine: FakeEngine
) -> None:
    report = build_audio(WANTED, tmp_path, {"en": engine})
    assert sorted(engine.calls) == sorted((w.text, w.slow) for w in WANTED)
    assert len(report.built) == 3 and report.kept == 0 and report.removed == ()
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert {r.key for r in manifest} == {w.key for w in WANTED}
    for recording, wanted in zip(manifest, sorted(WANTED, key=lambda w: w.key), strict=True):
        data = (tmp_path / recording.file).read_bytes()
        assert recording.text_hash == wanted.text_hash
        assert (recording.engine, recording.voice, recording.format) == ("espeak", "en-us", FORMAT)
        assert recording.speed == ("slow" if wanted.slow else "normal")
        assert recording.bytes == len(data)
        assert recording.sha256 == hashlib.sha256(data).hexdigest()
        assert 1.0 <= recording.duration < 2.0  # the fake's tone, its silences trimmed
        speed = "-slow" if wanted.slow else ""
        assert recording.file == f"en/{wanted.id}{speed}-{recording.sha256[:12]}.mp3"
        assert FILE_PATTERN.fullmatch(recording.file)
    assert report.audio_seconds == pytest.approx(sum(r.duration for r in manifest))


def test_a_second_build_has_nothing_to_do(built: Path, engine: FakeEngine) -> None:
    before = (built / "manifest.json").stat().st_mtime_ns
    report = build_audio(WANTED, built, {"en": engine})
    assert engine.calls == []
    assert (report.built, report.kept, report.removed) == ((), 3, ())
    assert report.summary() == "Nothing to do: all 3 recordings are current."
    assert (built / "manifest.json").stat().st_mtime_ns == before  # not even rewritten


def test_one_changed_text_rebuilds_one_file(built: Path, engine: FakeEngine) -> None:
    old = {r.key: r for r in read_manifest(built) or ()}
    changed = (replace(WANTED[0], text="Welcome to the line."), *WANTED[1:])
    report = build_audio(changed, built, {"en": engine})
    assert engine.calls == [("Welcome to the line.", False)]
    assert [r.key for r in report.built] == [WANTED[0].key]
    new = {r.key: r for r in read_manifest(built) or ()}
    assert new[WANTED[0].key].text_hash == changed[0].text_hash
    # The fake says every text with the same tone, so the file name (the sound's hash) stays.
    assert new[WANTED[1].key] == old[WANTED[1].key]


def test_recordings_no_longer_in_the_content_are_removed(built: Path, engine: FakeEngine) -> None:
    dropped = next(r for r in read_manifest(built) or () if r.key == WANTED[2].key)
    stray = built / "en" / "old-prompt-0123456789ab.mp3"
    stray.write_bytes(b"left from an old build")
    (built / ".gitkeep").write_text("")
    spanish = built / "es" / "credit-0123456789ab.mp3"  # es is not part of this build
    spanish.parent.mkdir()
    spanish.write_bytes(b"kept")

    dry = build_audio(WANTED[:2], built, {"en": engine}, dry_run=True)
    assert set(dry.removed) == {dropped.file, "en/old-prompt-0123456789ab.mp3"}
    assert (built / dropped.file).exists() and stray.exists()

    report = build_audio(WANTED[:2], built, {"en": engine})
    assert set(report.removed) == set(dry.removed)
    assert not (built / dropped.file).exists() and not stray.exists()
    assert spanish.exists() and (built / ".gitkeep").exists()
    assert {r.key for r in read_manifest(built) or ()} == {w.key for w in WANTED[:2]}


def test_a_dry_run_changes_nothing(tmp_path: Path, engine: FakeEngine) -> None:
    report = build_audio(WANTED, tmp_path, {"en": engine}, dry_run=True)
    assert [w.key for w in report.planned] == [w.key for w in WANTED]
    assert engine.calls == [] and list(tmp_path.iterdir()) == []
    assert report.summary().startswith("Would record 3; 0 are current")


def test_force_records_everything_again(built: Path, engine: FakeEngine) -> None:
    report = build_audio(WANTED, built, {"en": engine}, force=True)
    assert len(engine.calls) == 3 and len(report.built) == 3


def test_a_missing_file_is_recorded_again(built: Path, engine: FakeEngine) -> None:
    gone = next(r for r in read_manifest(built) or () if r.key == WANTED[0].key)
    (built / gone.file).unlink()
    build_audio(WANTED, built, {"en": engine})
    assert engine.calls == [(WANTED[0].text, False)]


@pytest.mark.parametrize(
    ("made_by", "now", "explicit", "redone"),
    [
        ("espeak", "gtts", False, True),  # an automatic build upgrades to Google's voice
        ("gtts", "espeak", False, False),  # and never downgrades when Google is out of reach
        ("piper", "espeak", False, False),
        ("gtts", "espeak", True, True),  # --engine espeak asks for espeak
        ("gtts", "gtts", False, False),
    ],
)
def test_another_engine_counts_as_stale_only_when_asked_for_or_better(
    built: Path, made_by: str, now: str, explicit: bool, redone: bool
) -> None:
    write_manifest(built, [replace(r, engine=made_by) for r in read_manifest(built) or ()])
    engine = FakeEngine(name=now)
    build_audio(WANTED, built, {"en": engine}, explicit=explicit)
    assert len(engine.calls) == (3 if redone else 0)
    expected = now if redone else made_by
    assert {r.engine for r in read_manifest(built) or ()} == {expected}


def test_a_new_encoding_format_redoes_the_recordings(built: Path, engine: FakeEngine) -> None:
    old = [replace(r, format="wav 8 kHz") for r in read_manifest(built) or ()]
    write_manifest(built, old)
    build_audio(WANTED, built, {"en": engine}, explicit=False)
    assert len(engine.calls) == 3


def test_a_failure_keeps_what_was_made_and_a_rerun_resumes(tmp_path: Path) -> None:
    failing = FakeEngine(fail_on=WANTED[1].text)
    with pytest.raises(EngineError, match="told to fail"):
        build_audio(WANTED, tmp_path, {"en": failing}, jobs=1)
    made = {r.key for r in read_manifest(tmp_path) or ()}
    assert made == {WANTED[0].key}
    engine = FakeEngine()
    build_audio(WANTED, tmp_path, {"en": engine})
    assert sorted(engine.calls) == sorted((w.text, w.slow) for w in WANTED[1:])
    assert not list(tmp_path.glob("*/.*.partial"))


def test_one_job_makes_the_same_files_as_four(first_build: Path, tmp_path: Path) -> None:
    build_audio(WANTED, tmp_path, {"en": FakeEngine()}, jobs=1)
    assert read_manifest(tmp_path) == read_manifest(first_build)  # same sound, same bytes


@pytest.fixture
def google() -> Iterator[GoogleStandIn]:
    with google_stand_in() as state:
        state.audio = lambda text: _mp3_tone()
        yield state


@functools.cache
def _mp3_tone() -> bytes:
    """What Google sends: an mp3 (made here by ffmpeg from a tone)."""
    command = ["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-f", "mp3", "pipe:1"]
    return subprocess.run(command, input=tone_wav(0.8), capture_output=True, check=True).stdout


def test_an_automatic_build_through_google(tmp_path: Path, google: GoogleStandIn) -> None:
    wanted = (Wanted("prompt.welcome", "es", False, "Bienvenido."), *WANTED[1:])
    choice = choose_engines("auto", ["en", "es"], gtts_base_url=google.base_url)
    report = build_audio(wanted, tmp_path, choice.engines, explicit=choice.explicit)
    assert len(report.built) == 3
    manifest = read_manifest(tmp_path) or ()
    assert {(r.language, r.engine, r.voice) for r in manifest} == {
        ("en", "gtts", "en (translate.google.com)"),
        ("es", "gtts", "es (translate.google.com.mx)"),
    }
    assert sorted((r["lang"], r["slow"]) for r in google.requests) == [
        ("en", False),
        ("en", True),
        ("es", False),
    ]


def test_espeak_end_to_end(tmp_path: Path) -> None:
    require_tools("espeak-ng")
    wanted = (Wanted("prompt.welcome", "es", False, "Bienvenido a la línea."), *WANTED[2:])
    choice = choose_engines("espeak", ["en", "es"])
    report = build_audio(wanted, tmp_path, choice.engines)
    assert {(r.language, r.engine, r.voice) for r in report.built} == {
        ("en", "espeak", "en-us"),
        ("es", "espeak", choice.engines["es"].voice),
    }
    assert all(r.duration > 0.5 for r in report.built)


def test_the_command_plans_the_whole_content(tmp_path: Path) -> None:
    require_tools("espeak-ng")
    args = ["build-audio", "--engine", "espeak", "--dry-run", "--audio-dir", str(tmp_path)]
    result = CliRunner().invoke(main, args, env={})
    assert result.exit_code == 0, result.output
    count = len(load_catalogue(tmp_path, load_content(), "").status.missing)
    assert f"Would record {count}; 0 are current" in result.output
    assert "record  es:topic.what-is.1:slow" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_command_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda tool: None)
    args = ["build-audio", "--engine", "espeak", "--audio-dir", str(tmp_path)]
    result = CliRunner().invoke(main, args, env={})
    assert result.exit_code == 1
    assert result.output.strip() == "Error: espeak-ng is not installed: apt-get install espeak-ng."


def test_labels_read_as_people_say_them() -> None:
    assert [label(w.key) for w in WANTED[1:]] == ["en:topic.what-is.1", "en:topic.what-is.1:slow"]
