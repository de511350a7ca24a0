"""The catalogue: what the content needs, the manifest, and which recordings are current."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from ivr.audio.catalogue import (
    MANIFEST,
    ManifestError,
    load_catalogue,
    read_manifest,
    text_hash,
    wanted_recordings,
    write_manifest,
)
from ivr.audio.encode import FORMAT
from ivr.config import REPO_ROOT
from ivr.content import LANGUAGES, Content, load_content
from tests.audio_support import fake_recording

COMMITTED_AUDIO = REPO_ROOT / "audio"
BASE = "https://line.example.org/audio"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def test_every_spoken_text_is_wanted_at_normal_speed_and_answers_also_slow(
    content: Content,
) -> None:
    wanted = wanted_recordings(content)
    for language in LANGUAGES:
        spoken = content[language].spoken()
        mine = [w for w in wanted if w.language == language]
        assert [w.id for w in mine if not w.slow] == [s.id for s in spoken]
        assert [w.id for w in mine if w.slow] == [s.id for s in spoken if s.slow]
    assert len({w.key for w in wanted}) == len(wanted)
    ids = {w.id for w in wanted}
    assert {"credit", "prompt.voice_fallback", "topic.what-is.1"} <= ids
    assert not any(i.startswith("keypoint.") for i in ids)  # no menu plays them
    assert {"topic.what-is.title", "sites.breast"} <= ids
    slow = {w.id for w in wanted if w.slow}
    assert "topic.what-is.1" in slow and "sites.breast" in slow
    assert "prompt.voice_fallback" not in slow


def test_the_text_hash_covers_words_language_and_speed() -> None:
    first = text_hash("en", False, "Press 1.")
    assert first == text_hash("en", False, "Press 1.")
    others = {text_hash("en", False, "Press 2."), text_hash("es", False, "Press 1.")}
    others.add(text_hash("en", True, "Press 1."))
    assert first not in others and len(others) == 3


def test_the_manifest_round_trips_in_a_stable_order(tmp_path: Path, content: Content) -> None:
    wanted = wanted_recordings(content)[:4]
    recordings = [fake_recording(tmp_path, w, data=w.id.encode()) for w in reversed(wanted)]
    write_manifest(tmp_path, recordings)
    read = read_manifest(tmp_path)
    assert read is not None
    assert set(read) == set(recordings)
    assert [r.key for r in read] == sorted(r.key for r in recordings)
    data = json.loads((tmp_path / MANIFEST).read_text())
    assert data["version"] == 1
    assert set(data["recordings"][0]) == {
        "id",
        "language",
        "speed",
        "text_hash",
        "engine",
        "voice",
        "format",
        "file",
        "bytes",
        "duration",
        "sha256",
    }


def test_no_manifest_is_none(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) is None


@pytest.mark.parametrize("file", ["../x.mp3", "en/../../x.mp3", "/etc/x.mp3", "en/a/b.mp3", "en/x"])
def test_the_manifest_cannot_name_a_file_outside_its_folder(
    tmp_path: Path, content: Content, file: str
) -> None:
    recording = replace(fake_recording(tmp_path, wanted_recordings(content)[0]), file=file)
    write_manifest(tmp_path, [recording])
    with pytest.raises(ManifestError, match="outside its folder"):
        read_manifest(tmp_path)


def test_a_recording_plays_only_when_its_text_is_current_and_its_file_exists(
    tmp_path: Path, content: Content
) -> None:
    current, stale, gone, *rest = [w for w in wanted_recordings(content) if w.language == "en"]
    slow = next(w for w in rest if w.slow)
    recordings = [
        fake_recording(tmp_path, current, data=b"current"),
        fake_recording(tmp_path, stale, data=b"stale", text_hash=text_hash("en", False, "old")),
        fake_recording(tmp_path, gone, data=b"gone"),
        fake_recording(tmp_path, slow, data=b"slow"),
    ]
    (tmp_path / recordings[2].file).unlink()
    write_manifest(tmp_path, recordings)

    catalogue = load_catalogue(tmp_path, content, BASE + "/")
    assert catalogue.url(current.id, "en") == f"{BASE}/{recordings[0].file}"
    assert catalogue.url(slow.id, "en", slow=True) == f"{BASE}/{recordings[3].file}"
    assert catalogue.url(slow.id, "en") is None  # only the slow one was made
    assert catalogue.url(current.id, "es") is None
    assert catalogue.url(stale.id, "en") is None
    assert catalogue.url(gone.id, "en") is None
    assert catalogue.etag(recordings[1].file) == hashlib.sha256(b"stale").hexdigest()
    assert catalogue.etag(recordings[2].file) is None  # its file is gone
    assert catalogue.etag("en/anything-else.mp3") is None

    status = catalogue.status
    assert (status.manifest_found, status.recordings, status.current) == (True, 4, 2)
    assert status.stale == (f"en:{stale.id}",)
    assert f"en:{gone.id}" in status.missing
    assert len(status.missing) == len(wanted_recordings(content)) - 3
    summary = status.as_dict()
    assert summary["stale"] == 1 and summary["stale_ids"] == [f"en:{stale.id}"]
    assert summary["missing"] == len(status.missing) and len(summary["missing_ids"]) == 5
    assert summary["problem"] is None


def test_without_a_manifest_everything_is_missing_and_said_so(
    tmp_path: Path, content: Content
) -> None:
    catalogue = load_catalogue(tmp_path, content, BASE)
    assert catalogue.url("credit", "en") is None
    assert catalogue.status.current == 0
    assert len(catalogue.status.missing) == len(wanted_recordings(content))
    assert "no manifest.json" in (catalogue.status.problem or "")


def test_an_unreadable_manifest_is_reported_not_fatal(tmp_path: Path, content: Content) -> None:
    (tmp_path / MANIFEST).write_text("{not json")
    status = load_catalogue(tmp_path, content, BASE).status
    assert status.manifest_found and status.current == 0
    assert "unreadable" in (status.problem or "")


def test_committed_audio_matches_committed_content(content: Content) -> None:
    """Fails after a content change until someone runs `ivr build-audio` and commits audio/."""
    catalogue = load_catalogue(COMMITTED_AUDIO, content, BASE)
    status = catalogue.status
    advice = "run `ivr build-audio` and commit audio/"
    assert status.problem is None, status.problem
    assert status.missing == (), f"{advice}; missing: {status.missing}"
    assert status.stale == (), f"{advice}; stale: {status.stale}"
    recordings = read_manifest(COMMITTED_AUDIO) or ()
    for recording in recordings:
        assert recording.format == FORMAT, f"{recording.file} was encoded another way: {advice}"
        data = (COMMITTED_AUDIO / recording.file).read_bytes()
        assert len(data) == recording.bytes, recording.file
        assert hashlib.sha256(data).hexdigest() == recording.sha256, recording.file
    on_disk = {p.relative_to(COMMITTED_AUDIO).as_posix() for p in COMMITTED_AUDIO.glob("*/*")}
    assert on_disk == {r.file for r in recordings}, "files in audio/ that no recording names"
