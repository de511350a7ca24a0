"""GET /audio/<lang>/<file>: what the manifest lists, as Twilio and caches expect, and no more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ivr import create_app
from ivr.audio.catalogue import Recording, wanted_recordings, write_manifest
from ivr.content import load_content
from tests.audio_support import fake_recording
from tests.conftest import PUBLIC_URL

DATA = bytes(range(256)) * 8  # stands in for an mp3: serving does not look inside


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "audio"
    directory.mkdir()
    return directory


@pytest.fixture
def recording(audio_dir: Path) -> Recording:
    """One current recording in the manifest, one mp3 that is not, and a file outside."""
    first = wanted_recordings(load_content(), ["en"])[0]
    recording = fake_recording(audio_dir, first, data=DATA)
    write_manifest(audio_dir, [recording])
    (audio_dir / "en" / "unlisted.mp3").write_bytes(b"not in the manifest")
    (audio_dir.parent / "secret.mp3").write_bytes(b"outside the audio folder")
    return recording


@pytest.fixture
def audio_client(config: dict[str, Any], audio_dir: Path, recording: Recording) -> FlaskClient:
    return create_app(config | {"AUDIO_DIR": str(audio_dir)}).test_client()


def test_a_recording_is_served_as_mpeg_with_long_caching_and_no_signature(
    audio_client: FlaskClient, recording: Recording
) -> None:
    response = audio_client.get(f"/audio/{recording.file}")
    assert response.status_code == 200
    assert response.data == DATA
    assert response.mimetype == "audio/mpeg"
    assert response.headers["ETag"] == f'"{recording.sha256}"'
    assert response.headers["Accept-Ranges"] == "bytes"
    cache = response.cache_control
    assert cache.public and cache.immutable and cache.max_age == 365 * 24 * 60 * 60


def test_revalidation_answers_304(audio_client: FlaskClient, recording: Recording) -> None:
    etag = audio_client.get(f"/audio/{recording.file}").headers["ETag"]
    response = audio_client.get(f"/audio/{recording.file}", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""


def test_a_byte_range_answers_206(audio_client: FlaskClient, recording: Recording) -> None:
    response = audio_client.get(f"/audio/{recording.file}", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    assert response.data == DATA[100:200]


@pytest.mark.parametrize(
    "path",
    [
        "/audio/en/unlisted.mp3",  # on disk, not in the manifest
        "/audio/manifest.json",
        "/audio/en/manifest.json",
        "/audio/en/..%2Fmanifest.json",
        "/audio/en/..%2F..%2Fsecret.mp3",
        "/audio/..%2Fsecret.mp3/x",
        "/audio/en/%2E%2E/secret.mp3",
        "/audio/fr/credit.mp3",
    ],
)
def test_anything_else_is_404(audio_client: FlaskClient, path: str) -> None:
    assert audio_client.get(path).status_code == 404


def test_a_file_gone_since_start_up_is_404(
    audio_client: FlaskClient, recording: Recording, audio_dir: Path
) -> None:
    (audio_dir / recording.file).unlink()
    assert audio_client.get(f"/audio/{recording.file}").status_code == 404


def test_urls_point_at_this_server_or_the_cdn(
    config: dict[str, Any], audio_dir: Path, recording: Recording
) -> None:
    line = create_app(config | {"AUDIO_DIR": str(audio_dir)}).extensions["ivr"]
    assert line.catalogue.url(recording.id, "en") == f"{PUBLIC_URL}/audio/{recording.file}"
    cdn = "https://cdn.example.net/line"
    line = create_app(config | {"AUDIO_DIR": str(audio_dir), "AUDIO_BASE_URL": cdn + "/"})
    assert line.extensions["ivr"].catalogue.url(recording.id, "en") == f"{cdn}/{recording.file}"
