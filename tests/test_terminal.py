"""`ivr call` and `ivr text`: the same signed webhooks, followed from a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr import create_app
from ivr.cli import main
from ivr.config import AUDIO_DIR
from ivr.content import load_content
from ivr.simulator.terminal import TerminalCall, Webhooks, recording_captions

from .browser import running_line
from .conftest import PUBLIC_URL, TOKEN

CONTENT = load_content()


def scripted(answers: list[str]) -> tuple[list[str], Any]:
    shown: list[str] = []
    queue = list(answers)
    return shown, lambda prompt: queue.pop(0) if queue else "hangup"


def test_a_call_from_the_terminal(config: dict[str, Any]) -> None:
    webhooks = Webhooks(PUBLIC_URL, TOKEN, create_app(config))
    shown, ask = scripted(["2", "síntomas", "", "", "", "0", "n", "4"])
    TerminalCall(webhooks, ask=ask, show=shown.append).run()
    text = "\n".join(shown)
    spanish = CONTENT["es"]
    assert spanish.topic("symptoms").title in text
    for part in spanish.topic("symptoms").parts:
        assert part in text
    assert "[transferring to +18004226237]" in text
    assert spanish.prompts["voice_transfer_failed"] in text
    assert shown[-1] == "The call has ended."


def test_a_forged_token_is_refused_from_the_terminal(config: dict[str, Any]) -> None:
    webhooks = Webhooks(PUBLIC_URL, "wrong-token", create_app(config))
    shown, ask = scripted([])
    TerminalCall(webhooks, ask=ask, show=shown.append).run()
    assert "The line answered 403." in shown


def test_ivr_call_command_runs_in_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        main, ["call", "--no-audio"], input="1\n1\n", env={"IVR_INSTANCE_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    assert CONTENT["en"].topic("what-is").title in result.output
    assert "The call has ended." in result.output


def recorded_call(config: dict[str, Any], players: tuple[tuple[str, ...], ...]) -> list[str]:
    """A call to the line with its committed recordings, played by players; what it shows."""
    app = create_app(config | {"AUDIO_DIR": str(AUDIO_DIR)})
    webhooks = Webhooks(PUBLIC_URL, TOKEN, app)
    shown, ask = scripted(["1", "1", "", ""])
    captions = recording_captions(AUDIO_DIR, CONTENT)
    TerminalCall(
        webhooks,
        ask=ask,
        show=shown.append,
        audio_dir=AUDIO_DIR,
        captions=captions,
        players=players,
    ).run()
    app.extensions["ivr"].store.engine.dispose()
    return shown


def test_recordings_show_their_words_not_file_names(config: dict[str, Any]) -> None:
    shown = recorded_call(config, players=(("true",),))
    text = "\n".join(shown)
    assert CONTENT["en"].topic("what-is").parts[0] in text
    assert ".mp3" not in text
    assert "Audio is off" not in text  # a player that works plays quietly


def test_without_a_sound_device_audio_is_off_said_once(
    config: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    # A player as ffplay behaves with no sound device: exit 0, and ALSA's complaints on stderr.
    alsa = "echo 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default' >&2"
    shown = recorded_call(config, players=(("sh", "-c", alsa, "player"),))
    notices = [line for line in shown if line.startswith("[Audio is off")]
    assert notices == [
        "[Audio is off: sh could not play here (no sound device?). The words are shown instead.]"
    ]
    assert CONTENT["en"].topic("what-is").parts[0] in "\n".join(shown)
    assert "ALSA" not in capfd.readouterr().err


def test_without_a_player_audio_is_off_said_once(config: dict[str, Any]) -> None:
    shown = recorded_call(config, players=(("no-such-player-installed",),))
    assert [line for line in shown if "Audio is off" in line] == [
        "[Audio is off: neither no-such-player-installed is installed. "
        "The words are shown instead.]"
    ]


def test_ivr_call_url_prints_the_words_of_a_line_elsewhere(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with running_line(instance) as url:
        result = CliRunner().invoke(
            main,
            ["call", "--url", url, "--no-audio"],
            input="1\n1\n",
            env={"IVR_INSTANCE_DIR": str(instance)},  # where `ivr serve` kept its token
        )
    assert result.exit_code == 0, result.output
    assert CONTENT["en"].topic("what-is").parts[0] in result.output
    assert ".mp3" not in result.output


def test_ivr_text_whatsapp_prints_the_answer_then_its_recordings(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["text", "--whatsapp", "SLOW 7"], env={"IVR_INSTANCE_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    topic = CONTENT["en"].topic("second-cancer")
    assert result.output.startswith(topic.title)
    assert f"  [recording] {topic.spoken_part(1)}\n" in result.output
    assert ".mp3" not in result.output
