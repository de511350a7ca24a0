"""GET /healthz reports content, store and audio status."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from ivr import create_app


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


def test_audio_manifest_is_counted(config: dict[str, Any], tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    client = create_app(config | {"AUDIO_DIR": str(audio)}).test_client()
    assert client.get("/healthz").get_json()["audio"]["manifest"] is False
    (audio / "manifest.json").write_text(json.dumps({"recordings": [{}, {}]}))
    client = create_app(config | {"AUDIO_DIR": str(audio)}).test_client()
    assert client.get("/healthz").get_json()["audio"] == {
        "manifest": True,
        "recordings": 2,
        "problem": None,
    }
    (audio / "manifest.json").write_text("{not json")
    client = create_app(config | {"AUDIO_DIR": str(audio)}).test_client()
    assert "unreadable" in client.get("/healthz").get_json()["audio"]["problem"]
