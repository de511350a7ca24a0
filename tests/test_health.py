"""GET /healthz reports content, store and audio status."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from ivr import create_app
from ivr.audio.catalogue import wanted_recordings, write_manifest
from ivr.content import load_content
from tests.audio_support import fake_recording


def test_healthy_line(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["store"] == "ok"
    assert body["content"] == {
        "en": {"topics": 9, "cancers": 12},
        "es": {"topics": 9, "cancers": 12},
    }


def test_store_down_is_reported(config: dict[str, Any], tmp_path: Path) -> None:
    database = tmp_path / "db" / "ivr.sqlite3"
    app = create_app(config | {"DATABASE_URL": f"sqlite:///{database}"})
    app.extensions["ivr"].store.engine.dispose()
    shutil.rmtree(database.parent)  # the database and its folder are gone
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["store"] == "unavailable"


def test_audio_status_lists_missing_and_stale_recordings(
    config: dict[str, Any], tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    client = create_app(config | {"AUDIO_DIR": str(audio)}).test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"  # the line still works: it speaks with Twilio's voice
    assert body["audio"]["manifest"] is False
    assert body["audio"]["missing"] == len(wanted_recordings(load_content()))

    first, second = wanted_recordings(load_content())[:2]
    stale = fake_recording(audio, second, text_hash="0" * 64)
    write_manifest(audio, [fake_recording(audio, first), stale])
    client = create_app(config | {"AUDIO_DIR": str(audio)}).test_client()
    summary = client.get("/healthz").get_json()["audio"]
    assert (summary["recordings"], summary["current"], summary["stale"]) == (2, 1, 1)
    assert summary["stale_ids"] == [f"{second.language}:{second.id}"]
    assert summary["missing"] == len(wanted_recordings(load_content())) - 2
    assert len(summary["missing_ids"]) == 5
    assert summary["problem"] is None

    (audio / "manifest.json").write_text("{not json")
    client = create_app(config | {"AUDIO_DIR": str(audio)}).test_client()
    assert "unreadable" in client.get("/healthz").get_json()["audio"]["problem"]
