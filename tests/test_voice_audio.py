"""With the committed recordings, the phone line plays audio for everything it says."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from ivr import create_app
from ivr.config import REPO_ROOT

from .twilio_fakes import Call


@pytest.fixture
def line(config: dict[str, Any]) -> Flask:
    return create_app(config | {"AUDIO_DIR": str(REPO_ROOT / "audio")})


def played(call: Call) -> list[str]:
    assert call.root.findall(".//Say") == [], "a <Say> where a recording should play"
    return [node.text or "" for node in call.root.iter("Play")]


def test_every_step_plays_recordings(line: Flask) -> None:
    client = line.test_client()
    call = Call(client, "+15557770001")
    steps = [call.heard()]
    for keys in ("2", "4", "1"):
        call.press(keys)
        steps.append(played(call))
    call.silence()  # after where-spread: the list of cancer types
    steps.append(played(call))
    call.press("3")
    steps.append(played(call))
    assert {urlsplit(url).path.split("/")[2] for url in steps[0]} == {"en", "es"}  # welcome
    for number, urls in enumerate(steps):
        assert urls
        for url in urls:
            folder = "/audio/" if number == 0 else "/audio/es/"
            assert url.startswith("https://line.example.org" + folder) and url.endswith(".mp3")
            response = client.get(urlsplit(url).path)
            assert response.status_code == 200 and response.mimetype == "audio/mpeg"


def test_slower_plays_the_slow_recording(line: Flask) -> None:
    call = Call(line.test_client(), "+15557770002").press("1").press("2")
    normal = next(url for url in played(call) if "topic.symptoms.1-" in url)
    slower = next(url for url in played(call.press("2")) if "topic.symptoms.1-" in url)
    assert "topic.symptoms.1-" in normal and "-slow-" not in normal
    assert "topic.symptoms.1-slow-" in slower


def test_a_cdn_base_url_is_used_for_play(config: dict[str, Any]) -> None:
    app = create_app(
        config
        | {"AUDIO_DIR": str(REPO_ROOT / "audio"), "AUDIO_BASE_URL": "https://cdn.example.net/ivr"}
    )
    call = Call(app.test_client(), "+15557770003")
    assert all(url.startswith("https://cdn.example.net/ivr/en/") for url in played(call)[:1])


def test_recordings_of_an_engine_left_out_give_way_to_twilios_voice(config: dict[str, Any]) -> None:
    app = create_app(
        config | {"AUDIO_DIR": str(REPO_ROOT / "audio"), "AUDIO_ENGINES": "gtts,piper"}
    )
    call = Call(app.test_client(), "+15557770004").press("2")  # Spanish: made with espeak-ng
    assert call.root.findall(".//Play") == []
    assert {say.get("voice") for say in call.root.iter("Say")} == {"Polly.Lupe-Neural"}
    english = Call(app.test_client(), "+15557770005").press("1")  # English: made with Piper
    assert english.root.findall(".//Say") == [] and english.root.findall(".//Play")
